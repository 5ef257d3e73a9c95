#!/usr/bin/env bash
# Reruns every shipped scenario and regenerates the results in scenarios/README.md.
#
# Usage, from the crate root:
#
#     scenarios/run-all.sh            # 200 replicates of each scenario, seed 1
#     scenarios/run-all.sh 1000       # more replicates, narrower intervals
#
# For each scenarios/*.toml it runs
#     cargo run --release -- run scenarios/X.toml --replicates N --seed 1 --out outputs/X --quiet
# and then rewrites the part of scenarios/README.md between the lines
# `<!-- results: begin -->` and `<!-- results: end -->` from the runs' output:
# the headline table (from each summary.csv; the share connected, which
# summary.csv does not have, from replicates.csv), the paired direction
# checks (from replicates.csv) and the national totals. Nothing in that part
# of the README is typed by hand, so it cannot drift from the code.
#
# Plain bash and awk (and GNU `date` for the measured period); no Python.
set -euo pipefail

cd "$(dirname "$0")/.."
replicates=${1:-200}
readme=scenarios/README.md

# Table order: these first, then any other scenario file, so none is missed.
order=(baseline covid_shock workforce_collapse year_end_surge contract_cliff
       invest_vcse invest_link_workers twelve_week_cap flexible_holding
       session_cap referral_screening launch_backlog national_scale
       brc_coop_loneliness north_east_ltc)
names=("${order[@]}")
for f in scenarios/*.toml; do
    s=$(basename "$f" .toml)
    case " ${order[*]} " in *" $s "*) ;; *) names+=("$s") ;; esac
done
for s in "${names[@]}"; do
    [[ -f scenarios/$s.toml ]] || { echo "run-all.sh: scenarios/$s.toml is missing" >&2; exit 1; }
done

# National scale: one replicate is one PCN; England has about this many
# (assumption, see scenarios/national_scale.toml).
pcns=1250
pcns_text="1,250"

started=$SECONDS
for s in "${names[@]}"; do
    echo "run-all.sh: $s ($replicates replicates)" >&2
    cargo run --quiet --release -- run "scenarios/$s.toml" --replicates "$replicates" --seed 1 --out "outputs/$s" --quiet
done
elapsed=$((SECONDS - started))

# A JSON value of run.json's top level (the file is pretty-printed, one key a line).
json() { awk -v k="\"$2\":" '$1 == k { v = $0; sub(/^[^:]*: */, "", v); sub(/,$/, "", v); gsub(/^"|"$/, "", v); print v; exit }' "$1/run.json"; }

# Shared awk: Student t quantile t(0.975, df) (a table to 30, then a Cornish-Fisher expansion).
t_awk='function t975(df,   z, t) {
    split("12.7062 4.3027 3.1824 2.7764 2.5706 2.4469 2.3646 2.3060 2.2622 2.2281 2.2010 2.1788 2.1604 2.1448 2.1314 2.1199 2.1098 2.1009 2.0930 2.0860 2.0796 2.0739 2.0687 2.0639 2.0595 2.0555 2.0518 2.0484 2.0452 2.0423", t, " ")
    if (df <= 30) return t[df]
    z = 1.959964
    return z + (z^3 + z) / (4 * df) + (5 * z^5 + 16 * z^3 + 3 * z) / (96 * df^2)
}
function col(header, name,   i, n, h) {
    n = split(header, h, ",")
    for (i = 1; i <= n; i++) if (h[i] == name) return i
    print "no column " name > "/dev/stderr"; exit 1
}'

# "mean [low, high]" of a metric from summary.csv, with a printf format. A
# scenario with sites has a first column `site`: its total's rows (`all`) are read.
summary_cell() {
    awk -F, -v m="$2" -v fmt="$3" 'NR == 1 { k = ($1 == "site") ? 1 : 0; next }
        (k == 0 || $1 == "all") && $(1 + k) == m { printf fmt " [" fmt ", " fmt "]", $(2 + k), $(3 + k), $(4 + k); found = 1 }
        END { if (!found) { print "no metric " m > "/dev/stderr"; exit 1 } }' "outputs/$1/summary.csv"
}

# Share connected (completed_connected / referrals) per replicate: mean and 95% interval, in %.
share_cell() {
    awk -F, "$t_awk"'
        NR == 1 { c = col($0, "completed_connected"); r = col($0, "referrals"); sited = ($1 == "site"); next }
        sited && $1 != "all" { next }
        { x = $r > 0 ? $c / $r : 0; n++; s += x; ss += x * x }
        END {
            m = s / n
            if (n < 2) { printf "%.1f%%", 100 * m; exit }
            sd = sqrt((ss - n * m * m) / (n - 1)); if (sd != sd) sd = 0
            h = t975(n - 1) * sd / sqrt(n)
            printf "%.1f%% [%.1f, %.1f]", 100 * m, 100 * (m - h), 100 * (m + h)
        }' "outputs/$1/replicates.csv"
}

# Paired difference B - A of a metric over replicates (same seed, common random numbers):
# prints "mean low high".
paired() {
    awk -F, -v metric="$3" "$t_awk"'
        FNR == 1 { c = col($0, metric); file++; next }
        file == 1 { a[$1] = $c; next }
        ($1 in a) { d = $c - a[$1]; n++; s += d; ss += d * d }
        END {
            m = s / n; sd = sqrt((ss - n * m * m) / (n - 1)); if (sd != sd) sd = 0
            h = t975(n - 1) * sd / sqrt(n)
            printf "%.6g %.6g %.6g\n", m, m - h, m + h
        }' "outputs/$1/replicates.csv" "outputs/$2/replicates.csv"
}

measured() {
    local start w h from to
    start=$(json "outputs/$1" start)
    w=$(json "outputs/$1" warm_up_days); h=$(json "outputs/$1" horizon_days)
    from=$(date -u -d "$start + ${w%.*} days" +%Y-%m-%d)
    to=$(date -u -d "$from + $((${h%.*} - 1)) days" +%Y-%m-%d)
    echo "$from to $to"
}

# The copies of each site, from run.json's "sites" list (name and count are
# keys of each site at the list's own indentation, alphabetical: count first).
site_copies() {
    awk '/^    "sites": \[/ { in_sites = 1; next }
        in_sites && /^    \]/ { exit }
        in_sites && /^        "count": / { c = $2; sub(/,$/, "", c) }
        in_sites && /^        "name": / { n = $0; sub(/^[^:]*: *"/, "", n); sub(/",?$/, "", n); print n "," c }' "outputs/$1/run.json"
}

# A table of each site's key figures (means over replicates) for a scenario
# with sites, flagged as the report flags it: a waiting list at the end more
# than 1.5 times its average over the period and at least 10 people longer
# grows without bound (src/report/run.rs, `growing`).
sites_table() {
    local s=$1
    echo
    echo "#### Sites of [$(json "outputs/$s" scenario_name)]($s.toml)"
    echo
    echo "Means over replicates; the total (\`all\`) first."
    echo
    echo "| site | copies | waiting time (days) | holding time (days) | waiting list at end | people supported | connected | waiting list |"
    echo "|---|---|---|---|---|---|---|---|"
    awk -F, -v copies="$(site_copies "$s" | tr '\n' ';')" '
        BEGIN { n = split(copies, c, ";"); for (i = 1; i <= n; i++) if (c[i] != "") { split(c[i], kv, ","); k[kv[1]] = kv[2]; total += kv[2] } }
        NR == 1 { next }
        { v[$1, $2] = $3; if (!($1 in seen)) { seen[$1] = 1; order[++m] = $1 } }
        END {
            for (i = 1; i <= m; i++) {
                site = order[i]
                end = v[site, "waiting_list_end"]; avg = v[site, "waiting_list_timeavg"]
                flag = (end > 1.5 * avg && end - avg >= 10) ? "grows without bound" : ""
                printf "| %s | %s | %.1f | %.1f | %.0f | %.0f | %.1f%% | %s |\n", site, (site == "all") ? total : k[site],
                    v[site, "waiting_mean"], v[site, "holding_mean"], end, v[site, "supported"], 100 * v[site, "share_connected"], flag
            }
        }' "outputs/$s/summary.csv"
}

results=$(mktemp)
trap 'rm -f "$results"' EXIT
{
    echo "<!-- results: begin -->"
    echo "<!-- Generated by scenarios/run-all.sh; do not edit by hand. -->"
    echo
    echo "Generated by \`scenarios/run-all.sh $replicates\`: $replicates replicates of each scenario, seed 1,"
    echo "spcap $(json outputs/baseline spcap_version). Each cell is the mean over replicates and its 95%"
    echo "confidence interval. Times in days. \"Connected\" is the share of referrals (re-referrals"
    echo "included) that completed support after taking a VCSE place, \`completed_connected / referrals\`"
    echo "per replicate."
    echo
    echo "| scenario | measured period | waiting time (days) | holding time (days) | waiting list at end | connected |"
    echo "|---|---|---|---|---|---|"
    for s in "${names[@]}"; do
        printf '| [%s](%s.toml) | %s | %s | %s | %s | %s |\n' \
            "$(json "outputs/$s" scenario_name)" "$s" "$(measured "$s")" \
            "$(summary_cell "$s" waiting_mean %.1f)" \
            "$(summary_cell "$s" holding_mean %.1f)" \
            "$(summary_cell "$s" waiting_list_end %.0f)" \
            "$(share_cell "$s")"
    done
    for s in "${names[@]}"; do
        [[ $(head -c 5 "outputs/$s/summary.csv") == "site," ]] || continue
        [[ -n ${sites_heading:-} ]] || { echo; echo "### Sites"; sites_heading=1; }
        sites_table "$s"
    done
    echo
    echo "### Direction checks"
    echo
    echo "Does each result point the way the research describes? Paired differences per replicate"
    echo "(replicate r of both scenarios uses the same random streams), mean and 95% interval."
    echo "\"yes\": the interval is on the expected side of 0; \"no\": on the other side;"
    echo "\"unclear\": it contains 0. Explanations for any \"no\" are in the README text below"
    echo "and in the scenario's comment."
    echo
    echo "| comparison | metric | expected | difference | as expected? | source |"
    echo "|---|---|---|---|---|---|"
    # scenario B, scenario A, metric, expected sign of B - A (up/down), source
    while IFS='|' read -r b a metric expect source; do
        [[ -f outputs/$a/replicates.csv && -f outputs/$b/replicates.csv ]] || continue
        read -r m lo hi < <(paired "$a" "$b" "$metric")
        verdict=$(awk -v m="$m" -v lo="$lo" -v hi="$hi" -v e="$expect" 'BEGIN {
            if (lo <= 0 && hi >= 0) print "unclear"
            else if ((e == "up") == (lo > 0)) print "yes"
            else print "**no**" }')
        [[ $verdict == yes ]] || echo "run-all.sh: direction check $b - $a, $metric: $verdict" >&2
        printf '| %s − %s | %s | %s | %s | %s | %s |\n' "$b" "$a" "$metric" "$expect" \
            "$(awk -v m="$m" -v lo="$lo" -v hi="$hi" 'BEGIN { printf "%+.3g [%+.3g, %+.3g]", m, lo, hi }')" \
            "$verdict" "$source"
    done <<'CHECKS'
covid_shock|baseline|holding_mean|up|VCSE halted, clients "on hold" (000 L472-476; 001 L282-284)
covid_shock|baseline|waiting_list_end|up|"a backlog of clients waiting" (000 L472-476, L514-515)
covid_shock|baseline|waiting_mean|up|backlog (000 L472-476)
workforce_collapse|baseline|waiting_mean|up|skeleton staff for months (000 L284-286)
year_end_surge|baseline|waiting_mean|up|February-March influx burdens the service (000 L572-587)
contract_cliff|baseline|waiting_mean|up|temporary contracts drive turnover (001 L70)
invest_vcse|baseline|holding_mean|down|enough activities to connect to (003 L91)
invest_link_workers|baseline|waiting_mean|down|enough link worker hours (003 L91)
invest_link_workers|baseline|holding_mean|up|onward activities must be funded too (003 L31, L171; 004 L1207)
referral_screening|baseline|waiting_mean|down|inappropriate referrals add to caseloads (003 L117-127)
session_cap|baseline|waiting_mean|down|a cap of six to eight sessions (004 L326, L378) frees caseload places
session_cap|baseline|supported_per_fte_year|up|a cap of six to eight sessions (004 L326, L378) frees caseload places
flexible_holding|twelve_week_cap|holding_mean|up|"retained for longer periods" (000 L325-328)
flexible_holding|twelve_week_cap|unmet|down|premature discharge leaves needs unmet (000 L328-331)
flexible_holding|twelve_week_cap|completed_connected|up|holding until services can take people (000 L325-328)
CHECKS
    if [[ -f outputs/national_scale/summary.csv ]]; then
        echo
        echo "### National totals"
        echo
        days=$(json outputs/national_scale horizon_days)
        echo "[national_scale](national_scale.toml) is one typical PCN per replicate; England is about"
        echo "$pcns_text of them (assumption). National figures = per-PCN mean × PCNs, and for"
        echo "figures a year, ÷ the measured period in years ($(awk -v d="$days" 'BEGIN { printf "%.2f", d / 365.25 }')):"
        echo
        echo "| national figure | mean [95% interval] |"
        echo "|---|---|"
        awk -F, -v p="$pcns" -v y="$(awk -v d="$days" 'BEGIN { print d / 365.25 }')" '
            function commas(x,   s) { s = sprintf("%.0f", x); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]([,]|$)/, ",&", s); return s }
            function row(label, scale) { printf "| %s | %s [%s, %s] |\n", label, commas($2 * scale), commas($3 * scale), commas($4 * scale) }
            $1 == "referrals" { row("referrals a year (re-referrals included)", p / y) }
            $1 == "completed_connected" { row("people completing support connected to a VCSE service, a year", p / y) }
            $1 == "reneged" { row("people giving up waiting for a link worker, a year", p / y) }
            $1 == "unmet" { row("people discharged with an unmet need, a year", p / y) }
            $1 == "waiting_list_end" { row("people waiting for a link worker at the end of the run", p) }
        ' outputs/national_scale/summary.csv
    fi
    echo
    echo "<!-- results: end -->"
} > "$results"

if ! grep -q '^<!-- results: begin -->$' "$readme" || ! grep -q '^<!-- results: end -->$' "$readme"; then
    echo "run-all.sh: $readme has no '<!-- results: begin -->' / '<!-- results: end -->' lines" >&2
    exit 1
fi
awk -v f="$results" '
    /^<!-- results: begin -->$/ { while ((getline line < f) > 0) print line; skip = 1; next }
    /^<!-- results: end -->$/ { skip = 0; next }
    !skip { print }' "$readme" > "$readme.tmp"
mv "$readme.tmp" "$readme"
echo "run-all.sh: $readme updated (${#names[@]} scenarios, $replicates replicates each, ${elapsed} s)" >&2
