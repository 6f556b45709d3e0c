// The process executor as the agent driver's executor port: the driver's calls go straight to
// ProcessExecutor (io/process-executor.h). Borrows the executor, which must outlive it.
#pragma once

#include "io/agent-driver.h"
#include "io/process-executor.h"

namespace swarmlet::io {

class ProcessExecutorPort final : public ExecutorPort {
 public:
  explicit ProcessExecutorPort(ProcessExecutor& executor) : executor_(executor) {}

  kj::Promise<agent::ExecutorResult> run(const agent::ExecutorOperation& operation) override {
    return executor_.run(operation);
  }
  void updateDependencies(const agent::UpdateDependencies& update) override {
    executor_.updateDependencies(update);
  }
  kj::Promise<std::optional<NodeDescription>> describe() override {
    return std::optional<NodeDescription>(executor_.describe());
  }

 private:
  ProcessExecutor& executor_;
};

}  // namespace swarmlet::io
