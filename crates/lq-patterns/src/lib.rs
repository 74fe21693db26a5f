//! Log message clustering for lq's `pattern` command.
//!
//! Messages are split into tokens at whitespace, after `=` and `,` and after opening brackets;
//! numbers, addresses, times and ids are variables from the start. A fixed-depth prefix tree (the Drain
//! algorithm: token count, then the first tokens) picks candidate clusters, and a message joins the
//! most similar one when enough of its tokens agree; positions where members differ become `<*>`.
//! The result depends only on the messages and their order.
//!
//! ```
//! use lq_patterns::Miner;
//! let mut miner = Miner::default();
//! for m in ["user 17 logged in", "user 42 logged in", "disk full on /dev/sda1"] {
//!     miner.add(m);
//! }
//! let patterns: Vec<String> = miner.clusters().iter().map(|c| c.pattern()).collect();
//! assert_eq!(patterns, ["user <*> logged in", "disk full on <*>"]);
//! ```

#![warn(missing_docs)]

use std::collections::HashMap;

/// The token that stands for a variable part.
pub const WILDCARD: &str = "<*>";

/// Tuning of the clustering.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// Leading tokens used to route a message in the tree (after the token count).
    pub depth: usize,
    /// Share of positions that must agree for a message to join a cluster.
    pub similarity: f64,
    /// Most children of one tree node; further first tokens share a wildcard branch.
    pub max_children: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            depth: 4,
            similarity: 0.7,
            max_children: 100,
        }
    }
}

/// A pattern and the messages it holds.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// The tokens; variables are [`WILDCARD`].
    pub template: Vec<String>,
    /// For each token, whether it was written right after the previous one (no space between).
    pub glued: Vec<bool>,
    /// Messages added to it.
    pub count: u64,
    /// The first message it received.
    pub sample: String,
}

impl Cluster {
    /// The pattern as text, tokens separated by single spaces.
    pub fn pattern(&self) -> String {
        let mut out = String::new();
        for (i, t) in self.template.iter().enumerate() {
            if i > 0 && !self.glued.get(i).copied().unwrap_or(false) {
                out.push(' ');
            }
            out.push_str(t);
        }
        out
    }

    /// A severity derived from the words of the pattern: `Error`, `Warning`, `Info`, `Debug`, or
    /// `Unknown`.
    pub fn severity(&self) -> &'static str {
        severity_of(&self.template)
    }
}

/// The severity a set of tokens suggests.
pub fn severity_of(tokens: &[String]) -> &'static str {
    let has = |words: &[&str]| {
        tokens.iter().any(|t| {
            let t = t.to_ascii_lowercase();
            words.iter().any(|w| t.contains(w))
        })
    };
    if has(&[
        "error",
        "fatal",
        "exception",
        "fail",
        "critical",
        "severe",
        "panic",
    ]) {
        "Error"
    } else if has(&["warn"]) {
        "Warning"
    } else if has(&["debug", "trace"]) {
        "Debug"
    } else if has(&["info", "notice"]) {
        "Info"
    } else {
        "Unknown"
    }
}

#[derive(Debug, Default)]
struct Node {
    children: HashMap<String, Node>,
    clusters: Vec<usize>,
}

/// Incremental clustering of messages.
#[derive(Debug, Default)]
pub struct Miner {
    config: Config,
    root: HashMap<usize, Node>,
    clusters: Vec<Cluster>,
}

/// Splits a message into tokens (see `pieces`) and masks what is variable on its own: a token that
/// is a number, an address, a time or an id (digits with separators, hex with digits, day and month
/// names) becomes [`WILDCARD`]; digit runs inside other tokens become `<*>` (`t761` → `t<*>`).
pub fn tokenize(message: &str) -> Vec<String> {
    pieces(message).into_iter().map(|(p, _)| mask(p)).collect()
}

/// Splits a message at whitespace, after `=` and `,`, and around brackets, so `key=value,key2=v2`
/// and `f(a, b)` become separate tokens. Each piece says whether it follows the previous one
/// directly.
fn pieces(message: &str) -> Vec<(&str, bool)> {
    let mut out = Vec::new();
    for word in message.split_whitespace() {
        let mut start = 0;
        let mut glued = false;
        for (i, c) in word.char_indices() {
            let end = i + c.len_utf8();
            let (cut_before, cut_after) = match c {
                '=' | ',' => (false, true),
                '(' | '{' | '[' => (false, true),
                _ => (false, false),
            };
            if cut_before && i > start {
                out.push((&word[start..i], glued));
                glued = true;
                start = i;
            }
            if cut_after && end > start {
                out.push((&word[start..end], glued));
                glued = true;
                start = end;
            }
        }
        if start < word.len() {
            out.push((&word[start..], glued));
        }
    }
    out
}

const TIME_WORDS: &[&str] = &[
    "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn mask(token: &str) -> String {
    let core = token.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    let digits = core.bytes().filter(u8::is_ascii_digit).count();
    if digits > 0 {
        let hex = core
            .strip_prefix("0x")
            .unwrap_or(core)
            .bytes()
            .all(|b| b.is_ascii_hexdigit());
        let numeric = core
            .bytes()
            .all(|b| b.is_ascii_digit() || b".:-_/,+".contains(&b));
        // Addresses, host names and ids that mix digits with separators vary as a whole.
        let separated = core.bytes().any(|b| b".-:/".contains(&b));
        if numeric || separated || (hex && (core.len() >= 6 || core.starts_with("0x"))) {
            return WILDCARD.to_string();
        }
    }
    // Names of days and months belong to timestamps.
    if TIME_WORDS.contains(&core) {
        return WILDCARD.to_string();
    }
    // Names of days and months belong to timestamps.
    if TIME_WORDS.contains(&core) {
        return WILDCARD.to_string();
    }
    // Host names and dotted identifiers (`proxy.example.com:5070`, `a.b.c`) vary like values.
    let dots = core.matches('.').count();
    if dots >= 2
        && core
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_:".contains(&b))
        && !core.contains("..")
    {
        return WILDCARD.to_string();
    }
    let mut out = String::with_capacity(token.len());
    let mut in_digits = false;
    for c in token.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push_str(WILDCARD);
            }
            in_digits = true;
        } else {
            in_digits = false;
            out.push(c);
        }
    }
    out
}

impl Miner {
    /// A miner with the given tuning.
    pub fn new(config: Config) -> Self {
        Miner {
            config,
            root: HashMap::new(),
            clusters: Vec::new(),
        }
    }

    /// Adds a message; returns the index of its cluster in [`Miner::clusters`].
    pub fn add(&mut self, message: &str) -> usize {
        let pieces = pieces(message);
        let tokens: Vec<String> = pieces.iter().map(|(p, _)| mask(p)).collect();
        match self.search(&tokens) {
            Some(id) => {
                let c = &mut self.clusters[id];
                for (t, new) in c.template.iter_mut().zip(&tokens) {
                    if t != new {
                        *t = WILDCARD.to_string();
                    }
                }
                c.count += 1;
                id
            }
            None => {
                let id = self.clusters.len();
                self.clusters.push(Cluster {
                    template: tokens.clone(),
                    glued: pieces.iter().map(|(_, g)| *g).collect(),
                    count: 1,
                    sample: message.to_string(),
                });
                self.insert(&tokens, id);
                id
            }
        }
    }

    /// The cluster a message would join, without adding it.
    pub fn matching(&self, message: &str) -> Option<usize> {
        self.search(&tokenize(message))
    }

    /// All clusters, in order of creation.
    pub fn clusters(&self) -> &[Cluster] {
        &self.clusters
    }

    fn route(&self, tokens: &[String]) -> usize {
        (self.config.depth.saturating_sub(2)).min(tokens.len())
    }

    fn search(&self, tokens: &[String]) -> Option<usize> {
        let mut node = self.root.get(&tokens.len())?;
        for t in &tokens[..self.route(tokens)] {
            node = node
                .children
                .get(t)
                .or_else(|| node.children.get(WILDCARD))?;
        }
        let mut best: Option<(f64, usize, usize)> = None;
        for &id in &node.clusters {
            let (sim, params) = similarity(&self.clusters[id].template, tokens);
            let better = match best {
                None => true,
                Some((s, p, _)) => sim > s || (sim == s && params > p),
            };
            if better {
                best = Some((sim, params, id));
            }
        }
        best.filter(|(sim, _, _)| *sim >= self.config.similarity)
            .map(|(_, _, id)| id)
    }

    fn insert(&mut self, tokens: &[String], id: usize) {
        let depth = self.route(tokens);
        let max_children = self.config.max_children;
        let mut node = self.root.entry(tokens.len()).or_default();
        for t in &tokens[..depth] {
            let key = if node.children.contains_key(t) {
                t.clone()
            } else if t == WILDCARD || node.children.len() + 1 >= max_children {
                WILDCARD.to_string()
            } else {
                t.clone()
            };
            node = node.children.entry(key).or_default();
        }
        node.clusters.push(id);
    }
}

/// Share of equal positions and number of template wildcards.
fn similarity(template: &[String], tokens: &[String]) -> (f64, usize) {
    if template.is_empty() {
        return (1.0, 0);
    }
    let mut same = 0;
    let mut params = 0;
    for (a, b) in template.iter().zip(tokens) {
        // Equal tokens agree, variables in both places included; a template variable facing a
        // word is a parameter.
        if a == b {
            same += 1;
        }
        if a == WILDCARD {
            params += 1;
        }
    }
    (same as f64 / template.len() as f64, params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_and_keeps_apart() {
        let mut m = Miner::default();
        let a = m.add("Connection closed by 10.0.0.1 port 22");
        let b = m.add("Connection closed by 10.0.0.2 port 2222");
        let c = m.add("Accepted password for root from 10.0.0.3");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            m.clusters()[a].pattern(),
            "Connection closed by <*> port <*>"
        );
        assert_eq!(m.clusters()[a].count, 2);
        assert_eq!(
            m.clusters()[a].sample,
            "Connection closed by 10.0.0.1 port 22"
        );
    }

    /// Similarity 0.7 is the threshold itself: 7 of 10 tokens shared merges, 6 of 10 does not.
    #[test]
    fn the_similarity_threshold_is_inclusive() {
        let mut m = Miner::default();
        let a = m.add("alpha beta gamma delta epsilon zeta eta one two three");
        let b = m.add("alpha beta gamma delta epsilon zeta eta four five six");
        assert_eq!(a, b);
        assert_eq!(
            m.clusters()[a].pattern(),
            "alpha beta gamma delta epsilon zeta eta <*> <*> <*>"
        );
        let mut m = Miner::default();
        let a = m.add("alpha beta gamma delta epsilon zeta one two three four");
        let b = m.add("alpha beta gamma delta epsilon zeta five six seven eight");
        assert_ne!(a, b);
    }

    #[test]
    fn differing_words_become_wildcards() {
        let mut m = Miner::default();
        m.add("connection for alice opened now");
        m.add("connection for bob opened now");
        assert_eq!(m.clusters()[0].pattern(), "connection for <*> opened now");
        assert_eq!(m.clusters().len(), 1);
    }

    #[test]
    fn masking() {
        assert_eq!(
            tokenize("t761 host:5070 0x1f 9f4ef63 SOCKS5 12:00:01 Jun a=b,c=17 f(x)"),
            [
                "t<*>", "<*>", "<*>", "<*>", "SOCKS<*>", "<*>", "<*>", "a=", "b,", "c=", "<*>",
                "f(", "x)"
            ]
        );
    }

    #[test]
    fn severities() {
        let t = |s: &str| tokenize(s);
        assert_eq!(severity_of(&t("ERROR disk failed")), "Error");
        assert_eq!(severity_of(&t("WARN slow")), "Warning");
        assert_eq!(severity_of(&t("something happened")), "Unknown");
    }
}
