//! Long output on a terminal goes through a pager, as git and psql do:
//! `$KGREP_PAGER`, else `$PAGER`, else `less` (with `LESS=FRX` unless set:
//! quit if one screen, keep colours, leave the text on screen). Never when
//! standard output is not a terminal, and not for output that fits.

use std::io::{self, IsTerminal, Write};
use std::process::{Command, Stdio};

use super::table::terminal_height;

/// Writes `text` to standard output, through the pager when `enabled`, on a
/// terminal, and taller than the screen.
pub fn page_or_write(text: &[u8], enabled: bool) -> io::Result<()> {
    let tall = terminal_height()
        .is_some_and(|height| text.iter().filter(|b| **b == b'\n').count() >= height);
    if enabled
        && tall
        && io::stdout().is_terminal()
        && let Some(command) = pager_command()
        && run_pager(&command, text).is_ok()
    {
        return Ok(());
    }
    let mut stdout = io::stdout().lock();
    stdout.write_all(text)?;
    stdout.flush()
}

/// The pager to run, or `None` when the user turned it off (`cat`, empty).
fn pager_command() -> Option<String> {
    let command = std::env::var("KGREP_PAGER")
        .or_else(|_| std::env::var("PAGER"))
        .unwrap_or_else(|_| "less".to_owned());
    let trimmed = command.trim();
    (!trimmed.is_empty() && trimmed != "cat").then(|| trimmed.to_owned())
}

fn run_pager(command: &str, text: &[u8]) -> io::Result<()> {
    let mut child = Command::new("sh")
        .args(["-c", command])
        .env(
            "LESS",
            std::env::var("LESS").unwrap_or_else(|_| "FRX".into()),
        )
        .env("LESSCHARSET", "utf-8")
        .stdin(Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        // The user may quit the pager before reading everything.
        match stdin.write_all(text) {
            Err(error) if error.kind() != io::ErrorKind::BrokenPipe => return Err(error),
            _ => {}
        }
    }
    child.wait()?;
    Ok(())
}
