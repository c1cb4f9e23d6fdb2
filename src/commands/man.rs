//! `man`: the man page, rendered by clap_mangen from the same clap tree as `--help`.

use std::path::Path;

use crate::cli::ManArgs;
use crate::error::{Error, Result};

pub fn run(args: &ManArgs) -> Result<()> {
    let command = crate::usage::command();
    match &args.out {
        None => crate::output::print_text(render(&command)?.trim_end()),
        Some(dir) => write_pages(&command, dir),
    }
}

/// One page: the command's synopsis, description, options, subcommands, examples and version.
pub fn render(command: &clap::Command) -> Result<String> {
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone())
        .render(&mut page)
        .map_err(|err| Error::local_from(format!("cannot render the man page: {err}"), err))?;
    String::from_utf8(page).map_err(|err| Error::local(format!("the man page is not UTF-8: {err}")))
}

/// dashshare.1 and a page per command, dashshare-grant.1, dashshare-link-create.1, … in `dir`.
fn write_pages(command: &clap::Command, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|err| {
        Error::invalid_from(format!("cannot create --out {}: {err}", dir.display()), err)
    })?;
    clap_mangen::generate_to(command.clone(), dir).map_err(|err| {
        Error::invalid_from(
            format!("cannot write the man pages into {}: {err}", dir.display()),
            err,
        )
    })?;
    crate::output::print_text(&format!("man pages written to {}", dir.display()))
}
