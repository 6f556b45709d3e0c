// One callable out of several lambdas, for std::visit over the inputs and effects of the cores.
#pragma once

namespace swarmlet {

template <typename... Handlers>
struct Overloaded : Handlers... {
  using Handlers::operator()...;
};

}  // namespace swarmlet
