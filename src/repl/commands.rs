//! The dot-commands, in the spirit of sqlite3 and psql.

/// What a dot-command does: dispatch matches on it, so a command in the
/// table without its code (or code without a table entry) does not compile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// `.help`.
    Help,
    /// `.mode`.
    Mode,
    /// `.x`, `\x`.
    Expanded,
    /// `.headers`.
    Headers,
    /// `.pager`.
    Pager,
    /// `.once`.
    Once,
    /// `.edit`.
    Edit,
    /// `.schema`.
    Schema,
    /// `.timer`.
    Timer,
    /// `.maxrows`.
    MaxRows,
    /// `.output`.
    Output,
    /// `.read`.
    Read,
    /// `.prefix`.
    Prefix,
    /// `.prefixes`.
    Prefixes,
    /// `.rules`.
    Rules,
    /// `.reload`.
    Reload,
    /// `.load`.
    Load,
    /// `.try`.
    Try,
    /// `.why`.
    Why,
    /// `.stats`.
    Stats,
    /// `.graphs`.
    Graphs,
    /// `.export`.
    Export,
    /// `.path`.
    Path,
    /// `.neighbors`.
    Neighbors,
    /// `.components`.
    Components,
    /// `.rank`.
    Rank,
    /// `.dot`.
    Dot,
    /// `.quit`.
    Quit,
}

/// A dot-command: its name, its arguments, what it does. [`COMMANDS`] is the
/// one definition that help, completion and dispatch all read.
pub struct CommandInfo {
    /// What it does.
    pub command: Command,
    /// The name, without the dot.
    pub name: &'static str,
    /// Its arguments.
    pub usage: &'static str,
    /// One line of help.
    pub help: &'static str,
}

/// What `.mode` takes.
pub const MODE_NAMES: &str = "table|line|csv|tsv|json|xml|turtle|ntriples|jsonld";

/// Every dot-command.
pub const COMMANDS: &[CommandInfo] = &[
    CommandInfo {
        command: Command::Help,
        name: "help",
        usage: "[COMMAND]",
        help: "list the commands, or explain one",
    },
    CommandInfo {
        command: Command::Mode,
        name: "mode",
        usage: MODE_NAMES,
        help: "how results are printed (alone: the mode now); line: one field a line",
    },
    CommandInfo {
        command: Command::Expanded,
        name: "x",
        usage: "[on|off]",
        help: "expanded display, one field a line (as psql's \\x; alone: toggle)",
    },
    CommandInfo {
        command: Command::Headers,
        name: "headers",
        usage: "on|off",
        help: "column names in tables, CSV and TSV",
    },
    CommandInfo {
        command: Command::Pager,
        name: "pager",
        usage: "on|off",
        help: "page results taller than the screen ($KGREP_PAGER, $PAGER, less)",
    },
    CommandInfo {
        command: Command::Once,
        name: "once",
        usage: "FILE",
        help: "send the next statement's results to FILE",
    },
    CommandInfo {
        command: Command::Edit,
        name: "edit",
        usage: "",
        help: "edit the last statement in $VISUAL or $EDITOR, then run it",
    },
    CommandInfo {
        command: Command::Schema,
        name: "schema",
        usage: "",
        help: "the predicates and classes in the store, with counts",
    },
    CommandInfo {
        command: Command::Timer,
        name: "timer",
        usage: "on|off",
        help: "print how long each statement took",
    },
    CommandInfo {
        command: Command::MaxRows,
        name: "maxrows",
        usage: "N",
        help: "show at most N rows in tables (0: all)",
    },
    CommandInfo {
        command: Command::Output,
        name: "output",
        usage: "[FILE]",
        help: "send results to FILE; without FILE, back to the screen",
    },
    CommandInfo {
        command: Command::Read,
        name: "read",
        usage: "FILE",
        help: "run the statements and commands in FILE",
    },
    CommandInfo {
        command: Command::Prefix,
        name: "prefix",
        usage: "p: <iri>",
        help: "declare a prefix for the following queries",
    },
    CommandInfo {
        command: Command::Prefixes,
        name: "prefixes",
        usage: "",
        help: "list the declared prefixes",
    },
    CommandInfo {
        command: Command::Rules,
        name: "rules",
        usage: "FILE...",
        help: "use these rule files for .load and .try",
    },
    CommandInfo {
        command: Command::Reload,
        name: "reload",
        usage: "",
        help: "recompile the rule files; re-extract loaded documents and say what changed",
    },
    CommandInfo {
        command: Command::Load,
        name: "load",
        usage: "DOC...",
        help: "extract documents with the current rules and load them",
    },
    CommandInfo {
        command: Command::Try,
        name: "try",
        usage: "TEXT",
        help: "run the current rules on TEXT: matches, captures, triples",
    },
    CommandInfo {
        command: Command::Why,
        name: "why",
        usage: "TERM",
        help: "where the facts about TERM came from: document, sentence, rule, text",
    },
    CommandInfo {
        command: Command::Stats,
        name: "stats",
        usage: "",
        help: "triples, documents, entities per class, facts per rule",
    },
    CommandInfo {
        command: Command::Graphs,
        name: "graphs",
        usage: "",
        help: "the named graphs and their sizes",
    },
    CommandInfo {
        command: Command::Export,
        name: "export",
        usage: "FILE [FORMAT]",
        help: "write the store (format from the extension, or given)",
    },
    CommandInfo {
        command: Command::Path,
        name: "path",
        usage: "A B",
        help: "a shortest path between two entities (either direction)",
    },
    CommandInfo {
        command: Command::Neighbors,
        name: "neighbors",
        usage: "X [K]",
        help: "the entities within K edges of X (default 1)",
    },
    CommandInfo {
        command: Command::Components,
        name: "components",
        usage: "",
        help: "connected components of the entity graph",
    },
    CommandInfo {
        command: Command::Rank,
        name: "rank",
        usage: "[degree|pagerank] [N]",
        help: "the top N entities (default pagerank, 10)",
    },
    CommandInfo {
        command: Command::Dot,
        name: "dot",
        usage: "X [K] [FILE.svg|FILE.png]",
        help: "a DOT picture of X's neighbourhood",
    },
    CommandInfo {
        command: Command::Quit,
        name: "quit",
        usage: "",
        help: "leave (Ctrl-D does too)",
    },
];

/// The command called `name`, if any.
pub fn find(name: &str) -> Option<&'static CommandInfo> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// The nearest command name, for "did you mean".
pub fn nearest(name: &str) -> Option<&'static str> {
    kgrep::diagnostic::did_you_mean(name, COMMANDS.iter().map(|c| c.name))
}
