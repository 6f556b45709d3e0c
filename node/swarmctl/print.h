// How a command prints its result in each output mode: -q (ids only, one per line) wins over
// -o json, which wins over the table or text. Functions of the Context's streams.
#pragma once

#include <string>
#include <vector>

#include "node/swarmctl/context.h"
#include "node/swarmctl/format-json.h"
#include "node/swarmctl/table.h"

namespace swarmlet::swarmctl {

// An `ls`: the table, the JSON array, or the ids.
void printList(Context& context, const Table& table, const Json& array,
               const std::vector<std::string>& ids);
// An `inspect`: the text, the JSON object, or the id.
void printRecord(Context& context, const std::string& text, const Json& object,
                 const std::string& id);
// A change (create, update, rm, ...): the id of what it created or changed, or {"id": ...}.
void printChanged(Context& context, const std::string& id);

}  // namespace swarmlet::swarmctl
