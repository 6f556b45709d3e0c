// One callable out of several lambdas, for std::visit over the inputs and effects of the cores.
#pragma once

namespace swarmlet {

template <typename... Handlers>
struct Overloaded : Handlers... {
  using Handlers::operator()...;
};

// C++20 deduces this for an aggregate, but clang 14 does not implement that yet.
template <typename... Handlers>
Overloaded(Handlers...) -> Overloaded<Handlers...>;

}  // namespace swarmlet
