// swarmctl's command tree: one function per group of the contract adds its subcommands (with
// their options and --help texts) to the top-level app. A leaf's callback, run by CLI11 once the
// whole command line parsed, stores the leaf's body in `selected`; main() runs it afterwards, so
// a usage error is always found before anything is sent. The bodies live in the groups' files
// (commands-*.c++); what they share is here.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "node/swarmctl/context.h"

namespace swarmlet::swarmctl {

void addClusterCommands(CLI::App& app, Command& selected);
void addNodeCommands(CLI::App& app, Command& selected);
void addServiceCommands(CLI::App& app, Command& selected);
void addTaskCommands(CLI::App& app, Command& selected);
// `secret` and `config`: the same commands over two kinds of record.
void addSecretAndConfigCommands(CLI::App& app, Command& selected);

// Makes `command` the one to run when `leaf` is on the command line.
void onSelect(CLI::App& leaf, Command& selected, Command command);

// A group: a subcommand that only holds others (one of them is required).
CLI::App& addGroup(CLI::App& parent, const std::string& name, const std::string& description);

// Accepts a duration (durations.h); the message is parseDuration's.
CLI::Validator durationValidator();
// Accepts K=V with a non-empty K.
CLI::Validator envValidator();

}  // namespace swarmlet::swarmctl
