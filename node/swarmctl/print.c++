#include "node/swarmctl/print.h"

#include <ostream>

namespace swarmlet::swarmctl {

void printList(Context& context, const Table& table, const Json& array,
               const std::vector<std::string>& ids) {
  if (context.quiet()) {
    for (const std::string& id : ids)
      context.out() << id << '\n';
  } else if (context.json()) {
    context.out() << render(array);
  } else {
    context.out() << table.render();
  }
}

void printRecord(Context& context, const std::string& text, const Json& object,
                 const std::string& id) {
  if (context.quiet()) {
    context.out() << id << '\n';
  } else if (context.json()) {
    context.out() << render(object);
  } else {
    context.out() << text;
  }
}

void printChanged(Context& context, const std::string& id) {
  if (context.json() && !context.quiet()) {
    context.out() << render(idJson(id));
  } else {
    context.out() << id << '\n';
  }
}

}  // namespace swarmlet::swarmctl
