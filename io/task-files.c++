#include "io/task-files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

namespace swarmlet::io {
namespace {

// Closes a descriptor on every path out of a function.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Hands the descriptor to someone who closes it (fdopendir).
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

std::string parentOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

FileStatus writeAll(int fd, std::string_view data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return FileStatus::fromErrno("write", path, errno);
    done += static_cast<size_t>(n);
  }
  return FileStatus::success();
}

FileStatus syncDirectory(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return FileStatus::fromErrno("open", path, errno);
  if (::fsync(fd.get()) != 0) return FileStatus::fromErrno("sync", path, errno);
  return FileStatus::success();
}

// Empties the directory open on `fd` (which this call owns), then the caller removes it.
FileStatus removeContents(int fd, const std::string& path, int depth) {
  if (depth > REMOVE_DEPTH_MAX) {
    ::close(fd);
    return FileStatus::failure("cannot remove " + path + ": deeper than " +
                               std::to_string(REMOVE_DEPTH_MAX) + " directories");
  }
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    int err = errno;
    ::close(fd);
    return FileStatus::fromErrno("read", path, err);
  }
  FileStatus status;
  std::vector<std::string> subdirectories;
  while (dirent* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    bool isDirectory = entry->d_type == DT_DIR;
    if (entry->d_type == DT_UNKNOWN) {
      struct stat info;
      if (::fstatat(::dirfd(dir), entry->d_name, &info, AT_SYMLINK_NOFOLLOW) == 0)
        isDirectory = S_ISDIR(info.st_mode);
    }
    if (isDirectory) {
      subdirectories.emplace_back(name);
    } else if (::unlinkat(::dirfd(dir), entry->d_name, 0) != 0 && errno != ENOENT) {
      status = FileStatus::fromErrno("remove", joinPath(path, name), errno);
      break;
    }
  }
  for (const std::string& name : subdirectories) {
    if (!status.ok()) break;
    std::string child = joinPath(path, name);
    int childFd =
        ::openat(::dirfd(dir), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (childFd < 0) {
      if (errno != ENOENT) status = FileStatus::fromErrno("open", child, errno);
      continue;
    }
    status = removeContents(childFd, child, depth + 1);
    if (status.ok() && ::unlinkat(::dirfd(dir), name.c_str(), AT_REMOVEDIR) != 0 &&
        errno != ENOENT) {
      status = FileStatus::fromErrno("remove", child, errno);
    }
  }
  ::closedir(dir);
  return status;
}

}  // namespace

FileStatus FileStatus::fromErrno(std::string_view verb, const std::string& path, int err) {
  return failure("cannot " + std::string(verb) + " " + path + ": " + ::strerror(err));
}

std::string joinPath(const std::string& directory, std::string_view name) {
  if (directory.empty() || directory.back() == '/') return directory + std::string(name);
  return directory + "/" + std::string(name);
}

FileStatus makeDirectory(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) == 0) return FileStatus::success();
  if (errno != EEXIST) return FileStatus::fromErrno("create", path, errno);
  struct stat info;
  if (::lstat(path.c_str(), &info) != 0) return FileStatus::fromErrno("inspect", path, errno);
  if (!S_ISDIR(info.st_mode)) return FileStatus::failure(path + " exists and is not a directory");
  return FileStatus::success();
}

FileStatus writeFileAtomic(const std::string& path, std::string_view data, mode_t mode,
                           bool durable) {
  std::string temporary = path + ".tmp";
  ::unlink(temporary.c_str());
  Fd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (fd.get() < 0) return FileStatus::fromErrno("create", temporary, errno);
  FileStatus status = writeAll(fd.get(), data, temporary);
  if (status.ok() && durable && ::fsync(fd.get()) != 0)
    status = FileStatus::fromErrno("sync", temporary, errno);
  if (status.ok() && ::rename(temporary.c_str(), path.c_str()) != 0)
    status = FileStatus::fromErrno("rename", temporary, errno);
  if (!status.ok()) {
    ::unlink(temporary.c_str());
    return status;
  }
  return durable ? syncDirectory(parentOf(path)) : FileStatus::success();
}

FileRead readFile(const std::string& path, size_t maxBytes) {
  FileRead result;
  Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) {
      result.missing = true;
    } else {
      result.error = FileStatus::fromErrno("open", path, errno).error;
    }
    return result;
  }
  std::string data;
  char buffer[8192];
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      result.error = FileStatus::fromErrno("read", path, errno).error;
      return result;
    }
    if (n == 0) break;
    if (data.size() + static_cast<size_t>(n) > maxBytes) {
      result.error = path + " is larger than " + std::to_string(maxBytes) + " bytes";
      return result;
    }
    data.append(buffer, static_cast<size_t>(n));
  }
  result.data = std::move(data);
  return result;
}

FileStatus removeTree(const std::string& path) {
  struct stat info;
  if (::lstat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return FileStatus::success();
    return FileStatus::fromErrno("inspect", path, errno);
  }
  if (!S_ISDIR(info.st_mode)) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      return FileStatus::fromErrno("remove", path, errno);
    return FileStatus::success();
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return FileStatus::fromErrno("open", path, errno);
  FileStatus status = removeContents(fd, path, 1);
  if (!status.ok()) return status;
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT)
    return FileStatus::fromErrno("remove", path, errno);
  return FileStatus::success();
}

std::string joinNul(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    out += item;
    out.push_back('\0');
  }
  return out;
}

std::vector<std::string> splitNul(std::string_view data) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start < data.size()) {
    size_t end = data.find('\0', start);
    if (end == std::string_view::npos) end = data.size();
    items.emplace_back(data.substr(start, end - start));
    start = end + 1;
  }
  return items;
}

std::string bootId() {
  FileRead read = readFile("/proc/sys/kernel/random/boot_id", 256);
  std::string id = read.data.value_or("");
  while (!id.empty() && (id.back() == '\n' || id.back() == ' '))
    id.pop_back();
  return id;
}

std::optional<ProcessStat> readProcessStat(pid_t pid) {
  FileRead read = readFile("/proc/" + std::to_string(pid) + "/stat", 4096);
  if (!read.data.has_value()) return std::nullopt;
  const std::string& text = *read.data;
  // "pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime
  // stime cutime cstime priority nice threads itrealvalue starttime ...": comm may hold spaces
  // and parentheses, so the fields are counted from the last ')'.
  size_t close = text.rfind(')');
  if (close == std::string::npos || close + 2 >= text.size()) return std::nullopt;
  std::vector<std::string_view> fields;
  std::string_view rest = std::string_view(text).substr(close + 2);
  while (!rest.empty() && fields.size() < 20) {
    size_t space = rest.find(' ');
    fields.push_back(rest.substr(0, space));
    if (space == std::string_view::npos) break;
    rest = rest.substr(space + 1);
  }
  if (fields.size() < 20 || fields[0].empty()) return std::nullopt;
  auto number = [](std::string_view field) {
    return std::strtoull(std::string(field).c_str(), nullptr, 10);
  };
  ProcessStat stat;
  stat.pid = pid;
  stat.state = fields[0][0];
  stat.parent = static_cast<pid_t>(number(fields[1]));
  stat.processGroup = static_cast<pid_t>(number(fields[2]));
  stat.session = static_cast<pid_t>(number(fields[3]));
  stat.startTime = number(fields[19]);
  return stat;
}

std::vector<ProcessStat> listProcesses() {
  std::vector<ProcessStat> processes;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return processes;
  while (dirent* entry = ::readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (pid <= 0 || end == nullptr || *end != '\0') continue;
    if (auto stat = readProcessStat(static_cast<pid_t>(pid))) processes.push_back(*stat);
  }
  ::closedir(proc);
  std::sort(processes.begin(), processes.end(),
            [](const ProcessStat& a, const ProcessStat& b) { return a.pid < b.pid; });
  return processes;
}

}  // namespace swarmlet::io
