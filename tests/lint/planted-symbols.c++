// Deliberate violations of the core's purity, linked only into a test copy of the core library
// so the symbol check can be seen to fail. Never part of a real build product.
#include <pthread.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <random>
#include <thread>

namespace swarmlet::lint {

long plantedViolations() {
  long total = static_cast<long>(::time(nullptr));
  total += std::rand();
  total += ::socket(AF_INET, SOCK_STREAM, 0);
  total += std::chrono::system_clock::now().time_since_epoch().count();
  std::random_device device;
  total += device();
  std::thread thread([] {});
  thread.join();
  pthread_t raw;
  if (pthread_create(
          &raw, nullptr, [](void*) -> void* { return nullptr; }, nullptr) == 0) {
    pthread_join(raw, nullptr);
  }
  return total;
}

}  // namespace swarmlet::lint
