// A second process for the store tests: opens a store directory on the real file system and
// says what happened on stdout, one line ("held", "ok", or "error <KIND> <message>").
//
//   store-lock-helper hold DIR            open, print "held", keep it open until stdin closes
//   store-lock-helper open DIR            open, print the outcome, close
//   store-lock-helper open-as-nobody DIR  the same as user and group 65534 (when run as root)
#include <grp.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "io/leveldb-store.h"

namespace {

using swarmlet::io::LevelDbStore;
using swarmlet::io::storeErrorKindName;

void say(const std::string& line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

int dropToNobody() {
  if (geteuid() != 0) return 0;
  const gid_t nobody = 65534;
  if (setgroups(0, nullptr) != 0 || setgid(nobody) != 0 || setuid(65534) != 0) {
    say("error SETUP cannot become user 65534");
    return 2;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fputs("usage: store-lock-helper hold|open|open-as-nobody DIR\n", stderr);
    return 2;
  }
  const std::string mode = argv[1];
  if (mode == "open-as-nobody" && dropToNobody() != 0) return 2;
  auto opened = LevelDbStore::open(argv[2], swarmlet::io::StoreKind::AGENT);
  if (!opened.ok()) {
    say("error " + std::string(storeErrorKindName(opened.error().kind)) + " " +
        opened.error().message);
    return 1;
  }
  if (mode != "hold") {
    say("ok");
    return 0;
  }
  say("held");
  char c = 0;
  while (read(STDIN_FILENO, &c, 1) > 0) {
  }
  return 0;
}
