#include "node/swarmctl/resolve.h"

#include <kj/debug.h>

namespace swarmlet::swarmctl {

std::variant<std::string, Unresolved> resolve(const std::vector<Candidate>& candidates,
                                              const std::string& ref) {
  if (ref.empty()) return Unresolved{ResolveFailure::EMPTY, 0};
  for (const Candidate& candidate : candidates) {
    if (candidate.id == ref) return candidate.id;
  }
  std::vector<const Candidate*> named;
  std::vector<const Candidate*> preferred;
  for (const Candidate& candidate : candidates) {
    if (candidate.name != ref) continue;
    named.push_back(&candidate);
    if (candidate.preferred) preferred.push_back(&candidate);
  }
  if (named.size() == 1) return named.front()->id;
  if (preferred.size() == 1) return preferred.front()->id;
  if (!named.empty()) return Unresolved{ResolveFailure::AMBIGUOUS_NAME, named.size()};
  std::vector<const Candidate*> prefixed;
  for (const Candidate& candidate : candidates) {
    if (candidate.id.compare(0, ref.size(), ref) == 0) prefixed.push_back(&candidate);
  }
  if (prefixed.size() == 1) return prefixed.front()->id;
  if (prefixed.empty()) return Unresolved{ResolveFailure::NOT_FOUND, 0};
  return Unresolved{ResolveFailure::AMBIGUOUS_PREFIX, prefixed.size()};
}

std::string describe(const Unresolved& unresolved, const RecordKind& kind, const std::string& ref) {
  const std::string quoted = "\"" + ref + "\"";
  const std::string count = std::to_string(unresolved.matches);
  switch (unresolved.failure) {
    case ResolveFailure::EMPTY:
      return std::string("no ") + kind.singular + " given; name one by id, " + kind.nameField +
             " or id prefix (" + kind.listCommand + ")";
    case ResolveFailure::NOT_FOUND:
      return std::string("no ") + kind.singular + " has the id, " + kind.nameField +
             " or id prefix " + quoted + "; list them with " + kind.listCommand;
    case ResolveFailure::AMBIGUOUS_NAME:
      return quoted + " is the " + kind.nameField + " of " + count + " " + kind.plural +
             "; use an id (" + kind.listCommand + ")";
    case ResolveFailure::AMBIGUOUS_PREFIX:
      return quoted + " is the start of " + count + " " + kind.singular +
             " ids; type more of the id (" + kind.listCommand + ")";
  }
  KJ_UNREACHABLE;
}

}  // namespace swarmlet::swarmctl
