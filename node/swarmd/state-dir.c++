#include "node/swarmd/state-dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace swarmlet::node {

namespace {

std::string hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::optional<std::string> unhex(const std::string& text) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < text.size(); i += 2) {
    auto digit = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    int high = digit(text[i]);
    int low = digit(text[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
  }
  return out;
}

std::string errnoText() {
  return std::strerror(errno);
}

}  // namespace

std::variant<StateDir, std::string> StateDir::lock(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return "cannot create the state directory " + path + ": " + errnoText() +
           " (check that its parent exists and is writable, or pick another --state-dir)";
  }
  std::string lockPath = path + "/swarmd.lock";
  int fd = ::open(lockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return "cannot use the state directory " + path + ": " + errnoText() +
           " (run swarmd as the directory's owner, or pick another --state-dir)";
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int why = errno;
    char holder[32] = {};
    ssize_t got = ::pread(fd, holder, sizeof holder - 1, 0);
    ::close(fd);
    std::string pid = got > 0 ? std::string(holder, static_cast<size_t>(got)) : "";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' '))
      pid.pop_back();
    if (why == EWOULDBLOCK) {
      return "the state directory " + path + " is in use by another swarmd" +
             (pid.empty() ? "" : " (pid " + pid + ")") +
             ": stop that one first, or give this one another --state-dir";
    }
    return "cannot lock the state directory " + path + ": " + std::strerror(why);
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The lock holds without the pid; only the message of a refused second swarmd is poorer.
  }
  return StateDir(path, fd);
}

StateDir::StateDir(StateDir&& other) noexcept
    : path_(std::move(other.path_)), lockFd_(other.lockFd_) {
  other.lockFd_ = -1;
}

StateDir::~StateDir() {
  if (lockFd_ >= 0) ::close(lockFd_);
}

std::variant<std::optional<Identity>, std::string> StateDir::readIdentity() const {
  std::string file = identityFile();
  std::ifstream in(file);
  if (!in) {
    if (errno == ENOENT) return std::optional<Identity>();
    return "cannot read " + file + ": " + errnoText();
  }
  std::stringstream text;
  text << in.rdbuf();
  auto damaged = [&](const std::string& why) {
    return "the node identity " + file + " is damaged (" + why +
           "): restore it from a backup, or remove the state directory and join the node again";
  };
  nlohmann::json json = nlohmann::json::parse(text.str(), nullptr, false);
  if (json.is_discarded() || !json.is_object()) return damaged("not a JSON object");
  try {
    Identity identity;
    identity.clusterId = json.at("clusterId").get<std::string>();
    identity.nodeId = NodeId{json.at("nodeId").get<std::string>()};
    auto secret = unhex(json.at("secret").get<std::string>());
    if (!secret.has_value()) return damaged("secret is not hex");
    identity.secret = *secret;
    std::string role = json.at("role").get<std::string>();
    if (role != "worker" && role != "manager") return damaged("role is " + role);
    identity.role = role == "manager" ? NodeRole::MANAGER : NodeRole::WORKER;
    identity.leader = json.at("leader").get<bool>();
    identity.joinAddress = json.value("joinAddress", "");
    identity.listenAddress = json.value("listenAddress", "");
    identity.advertiseAddress = json.value("advertiseAddress", "");
    identity.hostname = json.value("hostname", "");
    if (identity.nodeId.empty() || identity.secret.empty()) return damaged("no node id or secret");
    return std::optional<Identity>(std::move(identity));
  } catch (const nlohmann::json::exception& error) {
    return damaged(error.what());
  }
}

std::optional<std::string> StateDir::saveIdentity(const Identity& identity) const {
  nlohmann::ordered_json json;
  json["clusterId"] = identity.clusterId;
  json["nodeId"] = identity.nodeId.value;
  json["secret"] = hex(identity.secret);
  json["role"] = identity.role == NodeRole::MANAGER ? "manager" : "worker";
  json["leader"] = identity.leader;
  json["joinAddress"] = identity.joinAddress;
  json["listenAddress"] = identity.listenAddress;
  json["advertiseAddress"] = identity.advertiseAddress;
  json["hostname"] = identity.hostname;
  std::string text = json.dump(2) + "\n";
  std::string file = identityFile();
  std::string temporary = file + ".tmp";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return "cannot write " + temporary + ": " + errnoText();
  bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                 ::fsync(fd) == 0;
  std::string why = written ? "" : errnoText();
  ::close(fd);
  if (!written || ::rename(temporary.c_str(), file.c_str()) != 0) {
    return "cannot write " + file + ": " + (why.empty() ? errnoText() : why) +
           " (check the disk and the directory's permissions)";
  }
  int dir = ::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return std::nullopt;
}

}  // namespace swarmlet::node
