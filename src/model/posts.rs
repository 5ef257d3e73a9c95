//! Link-worker posts: funded posts, whoever holds them, and their caseloads.
//!
//! A post in post has `round(caseload_per_fte × fte × (1 − absence) × f)`
//! caseload places (`f` the induction factor while inducting, else 1), and
//! none while vacant. The posts keep the levels the outputs follow (places,
//! people on caseloads, posts in post and vacant, FTE in post) and the count
//! of free places, so allocation asks for a post only when there is one to
//! find, and finds it through [`MostFree`] in a few word operations.
//!
//! What happens to people when a post changes (a handover, allocation) is
//! the replicate loop's business: this part only keeps the posts' books.

use super::most_free::MostFree;
use super::plan::Plan;
use super::random::Rng;
use super::referral::{PostId, Slot};
use crate::scenario::{units, LinkWorkers, TenureModel};
use rand::Rng as _;
use rand_distr::Exp1;

/// A funded post and whoever holds it.
#[derive(Clone, Debug, Default)]
pub struct Post {
    pub funded: bool,
    pub in_post: bool,
    pub inducting: bool,
    pub fte: f64,
    pub capacity: u32,
    /// Who is on the caseload; each knows their index here.
    pub caseload: Vec<Slot>,
    /// Bumped whenever the post's scheduled events become stale.
    pub epoch: u32,
    /// When the current holder started.
    pub started: f64,
    /// When a fixed-term post's contract ends (infinity if permanent).
    pub contract_end: f64,
}

impl Post {
    /// Places on the caseload not taken; none while it is over capacity.
    pub fn free_places(&self) -> u32 {
        self.capacity.saturating_sub(self.caseload.len() as u32)
    }
}

/// Every post of a replicate, and the levels they make up.
#[derive(Default)]
pub struct Posts {
    posts: Vec<Post>,
    most_free: MostFree,
    /// Free caseload places over all posts.
    free_places: u32,
    /// Caseload places in post, people on caseloads, posts in post, funded
    /// posts vacant, FTE in post.
    pub capacity: u32,
    pub caseload: u32,
    pub in_post: u32,
    pub vacant: u32,
    pub fte_in_post: f64,
}

impl Posts {
    /// No posts: the start of a replicate.
    pub fn reset(&mut self) {
        self.posts.clear();
        self.most_free.reset(0);
        self.free_places = 0;
        self.capacity = 0;
        self.caseload = 0;
        self.in_post = 0;
        self.vacant = 0;
        self.fte_in_post = 0.0;
    }

    /// Adds a funded, vacant post.
    pub fn add(&mut self, fte: f64, contract_end: f64) -> PostId {
        self.posts.push(Post {
            funded: true,
            fte,
            contract_end,
            ..Post::default()
        });
        self.most_free.push();
        self.vacant += 1;
        PostId(self.posts.len() as u32 - 1)
    }

    pub fn ids(&self) -> impl Iterator<Item = PostId> {
        (0..self.posts.len() as u32).map(PostId)
    }

    /// Free caseload places over all posts.
    pub fn free_places(&self) -> u32 {
        self.free_places
    }

    /// The post in post with the most free places, the first such on a tie.
    #[inline]
    pub fn most_free(&self) -> Option<PostId> {
        self.most_free.best().map(|i| PostId(i as u32))
    }

    /// Changes a post and keeps the count of free places, and the choice of
    /// the post with most, in step.
    #[inline]
    fn update<R>(&mut self, post: PostId, change: impl FnOnce(&mut Post) -> R) -> R {
        let p = &mut self.posts[post.index()];
        let before = p.free_places();
        let result = change(p);
        let after = p.free_places();
        self.free_places = self.free_places - before + after;
        self.most_free.set(post.index(), after);
        result
    }

    /// Puts someone on a caseload; returns their index in it.
    pub fn join(&mut self, post: PostId, who: Slot) -> u32 {
        self.caseload += 1;
        self.update(post, |p| {
            p.caseload.push(who);
            p.caseload.len() as u32 - 1
        })
    }

    /// Takes the person at `place` off a caseload by moving the last into the
    /// gap; returns who holds `place` now (see [`swap_out`]).
    pub fn leave(&mut self, post: PostId, place: u32, who: Slot) -> Slot {
        self.caseload -= 1;
        self.update(post, |p| swap_out(&mut p.caseload, place, who))
    }

    /// Empties a caseload for a handover, keeping its list's allocation for
    /// [`Self::give_back`].
    pub fn take_caseload(&mut self, post: PostId) -> Vec<Slot> {
        let caseload = self.update(post, |p| std::mem::take(&mut p.caseload));
        self.caseload -= caseload.len() as u32;
        caseload
    }

    /// Returns the emptied list of [`Self::take_caseload`], to reuse its memory.
    pub fn give_back(&mut self, post: PostId, mut list: Vec<Slot>) {
        list.clear();
        self.posts[post.index()].caseload = list;
    }

    /// Places on a caseload at full strength (or during induction) under the scenario's rules.
    pub fn full_capacity(&self, post: PostId, lw: &LinkWorkers) -> u32 {
        let p = &self.posts[post.index()];
        let factor = if p.inducting { lw.induction_capacity_factor } else { 1.0 };
        (lw.caseload_per_fte * p.fte * (1.0 - lw.absence) * factor).round() as u32
    }

    /// Sets a post's caseload places: full if in post, none if vacant.
    pub fn refresh_capacity(&mut self, post: PostId, lw: &LinkWorkers) {
        let capacity = if self.posts[post.index()].in_post {
            self.full_capacity(post, lw)
        } else {
            0
        };
        self.set_capacity(post, capacity);
    }

    /// Sets a post's caseload places, keeping the total in step.
    pub fn set_capacity(&mut self, post: PostId, capacity: u32) {
        self.capacity = self.capacity - self.posts[post.index()].capacity + capacity;
        self.update(post, |p| p.capacity = capacity);
    }

    /// A new holder starts at `now`; returns the post's new epoch.
    pub fn start(&mut self, post: PostId, now: f64, inducting: bool) -> u32 {
        let p = &mut self.posts[post.index()];
        p.in_post = true;
        p.inducting = inducting;
        p.started = now;
        p.epoch += 1;
        self.in_post += 1;
        self.vacant -= 1;
        self.fte_in_post += p.fte;
        p.epoch
    }

    pub fn end_induction(&mut self, post: PostId) {
        self.posts[post.index()].inducting = false;
    }

    /// The holder leaves: the post is vacant (if still funded) with no places.
    /// The caseload is still on it, for the handover.
    pub fn holder_leaves(&mut self, post: PostId) {
        let p = &mut self.posts[post.index()];
        p.in_post = false;
        p.inducting = false;
        p.epoch += 1;
        self.in_post -= 1;
        self.fte_in_post -= p.fte;
        if p.funded {
            self.vacant += 1;
        }
        self.set_capacity(post, 0);
    }

    /// Funding is withdrawn from a vacant post.
    pub fn unfund(&mut self, post: PostId) {
        let p = &mut self.posts[post.index()];
        debug_assert!(p.funded && !p.in_post);
        p.funded = false;
        p.epoch += 1;
        self.vacant -= 1;
    }

    /// Makes the post's scheduled events stale (a new recruitment starts); returns its epoch.
    pub fn new_epoch(&mut self, post: PostId) -> u32 {
        let p = &mut self.posts[post.index()];
        p.epoch += 1;
        p.epoch
    }

    /// A cut falls on a vacant funded post if there is one (the last), else
    /// on the funded post whose holder started most recently.
    pub fn to_cut(&self) -> Option<PostId> {
        let funded = || self.posts.iter().enumerate().filter(|(_, p)| p.funded);
        funded()
            .filter(|(_, p)| !p.in_post)
            .map(|(i, _)| i)
            .next_back()
            .or_else(|| {
                funded()
                    .max_by(|a, b| a.1.started.total_cmp(&b.1.started))
                    .map(|(i, _)| i)
            })
            .map(|i| PostId(i as u32))
    }
}

impl std::ops::Index<PostId> for Posts {
    type Output = Post;
    fn index(&self, post: PostId) -> &Post {
        &self.posts[post.index()]
    }
}

/// When a holder who starts at `now` will leave (infinity if never): a draw
/// from the tenure, redrawn at the raised rate inside the window before a
/// fixed-term contract ends.
pub fn leaving_time(plan: &Plan, rng: &mut Rng, now: f64, contract_end: f64) -> f64 {
    let Some(tenure) = &plan.tenure else {
        return f64::INFINITY;
    };
    let turnover = &plan.scenario.link_workers.turnover;
    let mut leaves = now + tenure.sample(rng);
    if let (Some((window, multiplier)), TenureModel::AnnualRate(rate)) =
        (turnover.before_contract_end, &turnover.tenure)
    {
        // Piecewise-constant hazard: memorylessness lets us redraw from the window's start.
        let window_start = contract_end - window;
        if leaves > window_start && contract_end.is_finite() {
            let e: f64 = rng.sample(Exp1);
            let hazard = rate * multiplier;
            leaves = if hazard > 0.0 {
                now.max(window_start) + e * units::DAYS_PER_YEAR / hazard
            } else {
                f64::INFINITY
            };
        }
    }
    leaves
}

/// Takes the entry at `slot` out of a list of people (a caseload, a
/// service's attendees) by moving the last into the gap. Returns who holds
/// `slot` now, whose index must be set to it: the one removed, if they were
/// last, and setting theirs does no harm. Always writing an index spares a
/// branch on whether the last was moved, which is as random as who leaves.
pub fn swap_out(list: &mut Vec<Slot>, slot: u32, removed: Slot) -> Slot {
    list.swap_remove(slot as usize);
    list.get(slot as usize).copied().unwrap_or(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link_workers(caseload_per_fte: f64, absence: f64, induction_factor: f64) -> LinkWorkers {
        crate::model::test_scenario(&format!(
            r#"
[client_groups.only]
share = 1
categories = {{ social = 1 }}
[link_workers]
caseload_per_fte = {caseload_per_fte}
absence = {absence}
induction = {{ duration = "4w", capacity_factor = {induction_factor} }}
[[link_workers.posts]]
count = 1
[[vcse.services]]
name = "Group"
category = "social"
places = 5
"#
        ))
        .link_workers
    }

    #[test]
    fn capacity_through_induction_and_leaving() {
        let lw = link_workers(40.0, 0.1, 0.5);
        let mut posts = Posts::default();
        posts.reset();
        let a = posts.add(1.0, f64::INFINITY);
        assert_eq!((posts.vacant, posts.in_post, posts.capacity), (1, 0, 0));
        posts.start(a, 0.0, true);
        posts.refresh_capacity(a, &lw);
        // 40 × 1 × 0.9 × 0.5 = 18 places while inducting.
        assert_eq!((posts.capacity, posts.free_places(), posts.vacant), (18, 18, 0));
        posts.end_induction(a);
        posts.refresh_capacity(a, &lw);
        assert_eq!(posts.capacity, 36);
        for who in 0..5 {
            posts.join(a, Slot(who));
        }
        assert_eq!((posts.free_places(), posts.caseload), (31, 5));
        posts.holder_leaves(a);
        assert_eq!(
            (posts.capacity, posts.free_places(), posts.vacant, posts.in_post),
            (0, 0, 1, 0)
        );
        let handed_over = posts.take_caseload(a);
        assert_eq!((handed_over.len(), posts.caseload), (5, 0));
        assert_eq!(posts.most_free(), None);
    }

    #[test]
    fn allocation_goes_to_the_post_with_most_free_places_first_on_a_tie() {
        let lw = link_workers(10.0, 0.0, 1.0);
        let mut posts = Posts::default();
        posts.reset();
        let ids: Vec<PostId> = (0..3).map(|_| posts.add(1.0, f64::INFINITY)).collect();
        for &p in &ids {
            posts.start(p, 0.0, false);
            posts.refresh_capacity(p, &lw);
        }
        assert_eq!(posts.most_free(), Some(ids[0]), "a tie goes to the first");
        posts.join(ids[0], Slot(0));
        assert_eq!(posts.most_free(), Some(ids[1]), "the most free, not the first");
        posts.join(ids[1], Slot(1));
        posts.join(ids[2], Slot(2));
        posts.join(ids[2], Slot(3));
        assert_eq!(posts.most_free(), Some(ids[0]));
        let moved = posts.leave(ids[2], 0, Slot(2));
        assert_eq!(moved, Slot(3), "the last moves into the gap");
        assert_eq!(posts[ids[2]].caseload, [Slot(3)]);
    }

    #[test]
    fn a_cut_falls_on_a_vacancy_first_then_on_the_latest_starter() {
        let mut posts = Posts::default();
        posts.reset();
        let ids: Vec<PostId> = (0..3).map(|_| posts.add(1.0, f64::INFINITY)).collect();
        posts.start(ids[0], 5.0, false);
        posts.start(ids[2], 1.0, false);
        assert_eq!(posts.to_cut(), Some(ids[1]), "the vacancy");
        posts.unfund(ids[1]);
        assert_eq!(posts.to_cut(), Some(ids[0]), "the most recent starter");
    }

    #[test]
    fn every_change_of_holder_or_funding_outdates_the_post_s_events() {
        // A post's events (a holder leaving, a recruitment ending) are current
        // only while its epoch is the one they carry, so each of these must
        // move it on.
        let mut posts = Posts::default();
        posts.reset();
        let a = posts.add(1.0, f64::INFINITY);
        let mut epochs = vec![posts[a].epoch];
        epochs.push(posts.new_epoch(a));
        epochs.push(posts.start(a, 0.0, false));
        posts.holder_leaves(a);
        epochs.push(posts[a].epoch);
        epochs.push(posts.start(a, 1.0, false));
        posts.holder_leaves(a);
        epochs.push(posts[a].epoch);
        posts.unfund(a);
        epochs.push(posts[a].epoch);
        assert!(epochs.windows(2).all(|w| w[0] < w[1]), "epochs {epochs:?}");
    }

    #[test]
    fn a_handover_keeps_the_caseload_s_memory() {
        let mut posts = Posts::default();
        posts.reset();
        let a = posts.add(1.0, f64::INFINITY);
        posts.start(a, 0.0, false);
        posts.set_capacity(a, 10);
        for who in 0..10 {
            posts.join(a, Slot(who));
        }
        let list = posts.take_caseload(a);
        assert_eq!(list.len(), 10);
        posts.give_back(a, list);
        assert!(posts[a].caseload.is_empty());
        assert!(posts[a].caseload.capacity() >= 10, "the list's memory is reused");
    }
}
