// Reference resolution (node/swarmctl/resolve.h): exact id, then name, then unique id prefix.
#include "node/swarmctl/resolve.h"

#include <gtest/gtest.h>

namespace swarmlet::swarmctl {
namespace {

using Result = std::variant<std::string, Unresolved>;

const std::vector<Candidate> SERVICES = {
    {"s1a2b3c4", "web", true},
    {"s1a2zzzz", "db", true},
    {"s9x8y7w6", "cache", true},
    // A name that is another record's id: the id wins.
    {"s5555555", "s9x8y7w6", true},
    // A name that is an id prefix of another record: the name wins.
    {"s6666666", "s1a2", true},
};

TEST(Resolve, AnExactIdWinsOverANameThatEqualsIt) {
  EXPECT_EQ(resolve(SERVICES, "s9x8y7w6"), Result(std::string("s9x8y7w6")));
  EXPECT_EQ(resolve(SERVICES, "s5555555"), Result(std::string("s5555555")));
}

TEST(Resolve, ANameWinsOverAnIdPrefix) {
  EXPECT_EQ(resolve(SERVICES, "web"), Result(std::string("s1a2b3c4")));
  EXPECT_EQ(resolve(SERVICES, "s1a2"), Result(std::string("s6666666")));
}

TEST(Resolve, AUniqueIdPrefixNamesItsRecord) {
  EXPECT_EQ(resolve(SERVICES, "s1a2b"), Result(std::string("s1a2b3c4")));
  EXPECT_EQ(resolve(SERVICES, "s9"), Result(std::string("s9x8y7w6")));
}

TEST(Resolve, AnAmbiguousPrefixCountsItsCandidates) {
  EXPECT_EQ(resolve(SERVICES, "s1"), Result(Unresolved{ResolveFailure::AMBIGUOUS_PREFIX, 2}));
  EXPECT_EQ(resolve(SERVICES, "s"), Result(Unresolved{ResolveFailure::AMBIGUOUS_PREFIX, 5}));
}

TEST(Resolve, NothingMatchingAndNothingTypedAreRefused) {
  EXPECT_EQ(resolve(SERVICES, "nope"), Result(Unresolved{ResolveFailure::NOT_FOUND, 0}));
  EXPECT_EQ(resolve(SERVICES, ""), Result(Unresolved{ResolveFailure::EMPTY, 0}));
  EXPECT_EQ(resolve({}, "web"), Result(Unresolved{ResolveFailure::NOT_FOUND, 0}));
  // A name matches whole, never as a prefix.
  EXPECT_EQ(resolve(SERVICES, "we"), Result(Unresolved{ResolveFailure::NOT_FOUND, 0}));
}

TEST(Resolve, ASharedNameIsAmbiguousUnlessOneOfThemIsPreferred) {
  std::vector<Candidate> nodes = {
      {"n1", "host", true}, {"n2", "host", true}, {"n3", "other", true}};
  EXPECT_EQ(resolve(nodes, "host"), Result(Unresolved{ResolveFailure::AMBIGUOUS_NAME, 2}));
  // A slot's tasks share its name; the one its service wants running is meant.
  std::vector<Candidate> tasks = {
      {"t1", "web.1", false}, {"t2", "web.1", true}, {"t3", "web.1", false}};
  EXPECT_EQ(resolve(tasks, "web.1"), Result(std::string("t2")));
  tasks[0].preferred = true;
  EXPECT_EQ(resolve(tasks, "web.1"), Result(Unresolved{ResolveFailure::AMBIGUOUS_NAME, 3}));
  // When none is preferred (the service removed), the name is ambiguous; one alone is not.
  EXPECT_EQ(resolve({{"t1", "web.1", false}, {"t2", "web.1", false}}, "web.1"),
            Result(Unresolved{ResolveFailure::AMBIGUOUS_NAME, 2}));
  EXPECT_EQ(resolve({{"t1", "web.1", false}}, "web.1"), Result(std::string("t1")));
}

TEST(Resolve, TheRefusalNamesTheCountAndWhatToDo) {
  EXPECT_EQ(
      describe(Unresolved{ResolveFailure::NOT_FOUND, 0}, SERVICE_KIND, "nope"),
      "no service has the id, name or id prefix \"nope\"; list them with swarmctl service ls");
  EXPECT_EQ(describe(Unresolved{ResolveFailure::AMBIGUOUS_NAME, 2}, NODE_KIND, "host"),
            "\"host\" is the hostname of 2 nodes; use an id (swarmctl node ls)");
  EXPECT_EQ(describe(Unresolved{ResolveFailure::AMBIGUOUS_PREFIX, 3}, TASK_KIND, "t"),
            "\"t\" is the start of 3 task ids; type more of the id (swarmctl task ls)");
  EXPECT_EQ(describe(Unresolved{ResolveFailure::EMPTY, 0}, SECRET_KIND, ""),
            "no secret given; name one by id, name or id prefix (swarmctl secret ls)");
}

}  // namespace
}  // namespace swarmlet::swarmctl
