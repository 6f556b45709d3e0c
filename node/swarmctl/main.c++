// swarmctl: the control CLI of a swarmlet cluster (docs/swarmctl.md).
#include <iostream>

#include "node/swarmctl/cli.h"

int main(int argc, char** argv) {
  return swarmlet::swarmctl::run(argc, argv, std::cout, std::cerr, std::cin);
}
