// How swarmctl turns what a person typed for a node, service, task, secret or config into the id
// the control API takes, before anything is sent: an exact id, else an exact name (a node's
// hostname, a task's `service.slot`), else a unique id prefix. Resolving on the client lets a
// prefix work (the manager knows only ids and names) and lets every refusal name the number of
// candidates and what to type instead. Pure functions over the records a list query returned;
// safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <variant>
#include <vector>

namespace swarmlet::swarmctl {

// One record a reference may name.
struct Candidate {
  std::string id;
  std::string name;
  // Among several records of one name, the single preferred one wins (a task's name is shared by
  // the tasks a slot had before; the one its service wants running is the one meant).
  bool preferred = true;

  bool operator==(const Candidate&) const = default;
};

enum class ResolveFailure : uint8_t {
  EMPTY,             // nothing was typed
  NOT_FOUND,         // no id, name or id prefix matches
  AMBIGUOUS_NAME,    // several records have that name (and not exactly one is preferred)
  AMBIGUOUS_PREFIX,  // several ids start with it
};

struct Unresolved {
  ResolveFailure failure = ResolveFailure::NOT_FOUND;
  // The records that matched (0 for NOT_FOUND and EMPTY).
  size_t matches = 0;

  bool operator==(const Unresolved&) const = default;
};

// The id `ref` names among `candidates`, or why none.
std::variant<std::string, Unresolved> resolve(const std::vector<Candidate>& candidates,
                                              const std::string& ref);

// The kind of record, as the refusal names it: "service", "services", "swarmctl service ls".
struct RecordKind {
  const char* singular;
  const char* plural;
  // What a node's name is called ("hostname"); "name" for the others.
  const char* nameField;
  const char* listCommand;
};

inline constexpr RecordKind NODE_KIND{"node", "nodes", "hostname", "swarmctl node ls"};
inline constexpr RecordKind SERVICE_KIND{"service", "services", "name", "swarmctl service ls"};
inline constexpr RecordKind TASK_KIND{"task", "tasks", "name", "swarmctl task ls"};
inline constexpr RecordKind SECRET_KIND{"secret", "secrets", "name", "swarmctl secret ls"};
inline constexpr RecordKind CONFIG_KIND{"config", "configs", "name", "swarmctl config ls"};

// The refusal as one line "<what is wrong>; <what to do>", without the "swarmctl: " prefix:
//   no service has the id, name or id prefix "x"; list them with swarmctl service ls
//   "web" is the name of 2 services; use an id (swarmctl service ls)
//   "s1" is the start of 3 service ids; type more of the id (swarmctl service ls)
std::string describe(const Unresolved& unresolved, const RecordKind& kind, const std::string& ref);

}  // namespace swarmlet::swarmctl
