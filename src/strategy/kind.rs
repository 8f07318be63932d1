//! Which strategies exist, and what each can do: the one table the options, the Router and the facade consult.
//!
//! A strategy's capabilities are data here ([`Caps`]), not `matches!` lists spread over the crate: whether a
//! pick needs a key, can be bounded, draws randomness or reads the clock, whether weights must be whole, and
//! which option belongs to it alone. Adding a strategy means a variant, a name and a row below, plus its file.

/// The strategy a Router uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrategyKind {
    Random,
    RoundRobin,
    WeightedRoundRobin,
    LeastLatency,
    LeastOutstanding,
    Ring,
    Rendezvous,
    Maglev,
    Jump,
    Hash,
}

/// What a strategy can do and needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    /// `pick` needs a key: the hashing strategies.
    pub keyed: bool,
    /// `boundedLoad` applies: the strategy has a full preference order per key.
    pub boundable: bool,
    /// Picks draw from the Router's PRNG (an unseeded Router needs entropy first).
    pub random: bool,
    /// Every pick reads the clock (the latency estimate decays with time), healthy pool or not.
    pub reads_clock: bool,
    /// Each node gets `weight` buckets or slots, so weights must be whole numbers: what the strategy does with a
    /// weight, for the message that refuses a fractional one.
    pub whole_weights: Option<&'static str>,
    /// The option that belongs to this strategy alone, if any.
    pub own_option: Option<&'static str>,
}

const fn caps(
    keyed: bool,
    boundable: bool,
    random: bool,
    reads_clock: bool,
    whole_weights: Option<&'static str>,
) -> Caps {
    Caps {
        keyed,
        boundable,
        random,
        reads_clock,
        whole_weights,
        own_option: None,
    }
}

impl StrategyKind {
    pub const ALL: [StrategyKind; 10] = [
        StrategyKind::Random,
        StrategyKind::RoundRobin,
        StrategyKind::WeightedRoundRobin,
        StrategyKind::LeastLatency,
        StrategyKind::LeastOutstanding,
        StrategyKind::Ring,
        StrategyKind::Rendezvous,
        StrategyKind::Maglev,
        StrategyKind::Jump,
        StrategyKind::Hash,
    ];

    pub fn name(self) -> &'static str {
        match self {
            StrategyKind::Random => "random",
            StrategyKind::RoundRobin => "round-robin",
            StrategyKind::WeightedRoundRobin => "weighted-round-robin",
            StrategyKind::LeastLatency => "least-latency",
            StrategyKind::LeastOutstanding => "least-outstanding",
            StrategyKind::Ring => "ring",
            StrategyKind::Rendezvous => "rendezvous",
            StrategyKind::Maglev => "maglev",
            StrategyKind::Jump => "jump",
            StrategyKind::Hash => "hash",
        }
    }

    pub fn from_name(s: &str) -> Option<StrategyKind> {
        StrategyKind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// The capability table.
    pub const fn caps(self) -> Caps {
        //                                           keyed  bound  random clock  whole
        match self {
            StrategyKind::Random => caps(false, false, true, false, None),
            StrategyKind::RoundRobin => caps(false, false, false, false, None),
            StrategyKind::WeightedRoundRobin => caps(false, false, false, false, None),
            StrategyKind::LeastLatency => Caps {
                own_option: Some("decayMs"),
                ..caps(false, false, true, true, None)
            },
            StrategyKind::LeastOutstanding => caps(false, false, true, false, None),
            StrategyKind::Ring => Caps {
                own_option: Some("vnodes"),
                ..caps(true, true, false, false, None)
            },
            StrategyKind::Rendezvous => caps(true, true, false, false, None),
            StrategyKind::Maglev => Caps {
                own_option: Some("tableSize"),
                ..caps(true, true, false, false, None)
            },
            StrategyKind::Jump => caps(true, false, false, false, Some(super::jump::WHOLE_WEIGHTS)),
            StrategyKind::Hash => caps(true, false, false, false, Some(super::modulo::WHOLE_WEIGHTS)),
        }
    }

    /// Whether `pick` needs a key: the consistent-hashing strategies.
    pub fn needs_key(self) -> bool {
        self.caps().keyed
    }

    /// Whether `boundedLoad` applies.
    pub fn can_bound(self) -> bool {
        self.caps().boundable
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_own_options_are_distinct() {
        let mut owned = Vec::new();
        for k in StrategyKind::ALL {
            assert_eq!(StrategyKind::from_name(k.name()), Some(k));
            let c = k.caps();
            assert!(
                !c.boundable || c.keyed,
                "{k:?}: only keyed strategies have a preference order to bound"
            );
            assert!(!c.reads_clock || !c.keyed, "{k:?}");
            owned.extend(c.own_option);
        }
        let n = owned.len();
        owned.sort();
        owned.dedup();
        assert_eq!(owned.len(), n);
        assert_eq!(StrategyKind::from_name("ketama"), None);
    }
}
