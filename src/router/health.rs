//! The Router's side of passive health: outcomes, ejections, probes, manual marks and the usable flags.

use super::{clock, Router};
use crate::base::error::{Code, Error, Result};
use crate::base::limits::MAX_MS;
use crate::base::numfmt::fmt_num;
use crate::node::health::{Health, State};
use crate::node::Outcome;

impl Router {
    /// Recomputes every node's `usable` flag, the panic state and the next change time, if anything may have
    /// changed. O(N), but only after a health event or when an ejection or mark ends.
    pub(super) fn refresh(&mut self, now: f64) {
        if !self.dirty && now < self.next_change {
            return;
        }
        let pt = self.health.probe_timeout_ms;
        self.panic = self.panic_at(now);
        let mut next = f64::INFINITY;
        let slow = self.cfg.slow_start.is_some();
        for n in self.nodes.iter_mut() {
            let was = n.usable;
            n.usable = usable_at(&n.health, now, pt, self.panic);
            // Slow start: a node back from an ejection or a mark ramps up again.
            if slow && n.usable && !was {
                n.ramp_since = now;
            }
            next = next.min(n.health.next_change(now, pt));
        }
        if slow {
            self.traffic.ramping = self.nodes.iter().filter(|n| n.ramp_since != 0.0).count();
        }
        self.traffic.health_changed();
        self.unusable = self.nodes.iter().filter(|n| !n.usable).count();
        self.probing = self
            .nodes
            .iter()
            .filter(|n| n.usable && n.health.state(now) == State::Probing)
            .count();
        self.next_change = next;
        self.dirty = false;
    }

    /// Whether the pool is in panic at `now`: fewer than `panicThreshold` of its nodes usable by their health.
    pub(super) fn panic_at(&self, now: f64) -> bool {
        let pt = self.health.probe_timeout_ms;
        let usable = self.nodes.iter().filter(|n| n.health.usable(now, pt)).count();
        let len = self.nodes.len();
        len > 0 && usable < len && (usable as f64) < self.health.panic_threshold * len as f64
    }

    /// After a pick at `now`: a probing node's one probe is now out, so it takes no more until it answers.
    pub(super) fn take_probe(&mut self, i: usize, now: f64) {
        let n = &mut self.nodes[i];
        if !self.panic && n.health.state(now) == State::Probing {
            n.health.probe_since = now.max(f64::MIN_POSITIVE);
            n.usable = false;
            self.unusable += 1;
            // The zone and level thresholds count usable weight: this node no longer adds to it.
            self.traffic.health_changed();
            self.probing = self.probing.saturating_sub(1);
            self.next_change = self.next_change.min(now + self.health.probe_timeout_ms);
        }
    }

    /// Whether the pool is in panic (too few healthy nodes, so all are used).
    pub fn in_panic(&self) -> bool {
        self.panic
    }

    /// Records the outcome of one request sent to `id`, at time `now_ms`. In-flight counts are not touched
    /// (see [`Router::end`]).
    pub fn report(&mut self, id: &str, outcome: Outcome, now_ms: f64) -> Result<()> {
        let now_ms = clock(now_ms);
        self.start_counters(now_ms);
        let idx = self.index_of(id)?;
        let tau = self.decay_ms;
        let n = &mut self.nodes[idx];
        if outcome.ok {
            n.successes += 1;
        } else {
            n.failures += 1;
        }
        if let Some(ms) = outcome.latency_ms {
            n.latency.observe(ms, now_ms, tau);
            n.latency_hist.get_or_insert_with(Default::default).observe(ms);
        }
        let before = n.health;
        if n.health.record(outcome.ok, now_ms, &self.health) && self.may_eject(idx, now_ms) {
            self.nodes[idx].health.eject(now_ms, &self.health);
            self.nodes[idx].ejections_total += 1;
        }
        if self.nodes[idx].health != before
            && (before.ejected_until > 0.0 || self.nodes[idx].health.ejected_until > 0.0)
        {
            self.dirty = true;
        }
        Ok(())
    }

    /// Whether node `idx` may be ejected: at most `maxEjectedShare` of the pool is ejected at once (a node
    /// already ejected or probing does not count against itself).
    pub(super) fn may_eject(&self, idx: usize, now: f64) -> bool {
        let ejected = (0..self.nodes.len())
            .filter(|&i| i != idx && matches!(self.nodes[i].health.state(now), State::Ejected | State::Probing))
            .count();
        (ejected + 1) as f64 <= (self.health.max_ejected_share * self.nodes.len() as f64).floor()
    }

    /// Takes a node out of rotation by hand, for `for_ms` or until [`Router::mark_up`].
    pub fn mark_down(&mut self, id: &str, for_ms: Option<f64>, now_ms: f64) -> Result<()> {
        if let Some(ms) = for_ms.filter(|ms| !(ms.is_finite() && *ms > 0.0 && *ms <= MAX_MS)) {
            return Err(for_ms_error(&format!("the number {}", fmt_num(ms))));
        }
        let now_ms = clock(now_ms);
        let idx = self.index_of(id)?;
        self.nodes[idx].health.down_until = match for_ms {
            Some(ms) => now_ms + ms,
            None => f64::INFINITY,
        };
        self.dirty = true;
        Ok(())
    }

    /// Puts a node back at once: clears a manual mark, an ejection and its failure streak.
    pub fn mark_up(&mut self, id: &str, now_ms: f64) -> Result<()> {
        let now_ms = clock(now_ms);
        let idx = self.index_of(id)?;
        let h = &mut self.nodes[idx].health;
        h.down_until = 0.0;
        h.ejected_until = 0.0;
        h.probe_since = 0.0;
        h.consecutive = 0;
        h.healthy_since = now_ms;
        self.dirty = true;
        Ok(())
    }
}

/// Whether a pick may return a node with this health at `now`: by its health, or in panic (routing to all) unless
/// marked down by hand.
pub(super) fn usable_at(h: &Health, now: f64, probe_timeout_ms: f64, panic: bool) -> bool {
    if panic {
        h.state(now) != State::Down
    } else {
        h.usable(now, probe_timeout_ms)
    }
}

/// `markDown`'s `forMs` is not a duration (`got` says what it was).
pub fn for_ms_error(got: &str) -> Error {
    Error::new(
        Code::InvalidOption,
        format!(
            "markDown(id, forMs): forMs must be a number of milliseconds > 0, or omitted for 'until markUp', got {got}"
        ),
    )
}
