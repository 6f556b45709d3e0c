// Small POSIX file and /proc helpers shared by the process executor and the task shim: atomic
// writes, bounded reads, recursive removal that never follows a symbolic link, and the facts of
// /proc/<pid>/stat. Plain functions of the standard library and libc (the shim links nothing
// else). Expected failures come back as data: one line naming the path and the reason.
// Thread-safe (no shared state), async-signal-unsafe (they allocate).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace swarmlet::io {

// The outcome of a file operation: ok, or one line such as
// "cannot create /var/lib/swarmlet/tasks/t1: Permission denied".
struct [[nodiscard]] FileStatus {
  std::string error;

  bool ok() const { return error.empty(); }
  static FileStatus success() { return {}; }
  static FileStatus failure(std::string why) { return FileStatus{std::move(why)}; }
  // "cannot <verb> <path>: <strerror(err)>".
  static FileStatus fromErrno(std::string_view verb, const std::string& path, int err);
};

struct FileRead {
  std::optional<std::string> data;
  // The file does not exist (data empty, error empty).
  bool missing = false;
  std::string error;
};

std::string joinPath(const std::string& directory, std::string_view name);

// Creates `path` with `mode`; an existing directory is kept as it is.
FileStatus makeDirectory(const std::string& path, mode_t mode);
// Writes `data` to a temporary file beside `path` and renames it over `path`, so a reader sees
// the old file or the new one, never a part. With `durable`, the file and its directory are
// synced before returning.
FileStatus writeFileAtomic(const std::string& path, std::string_view data, mode_t mode,
                           bool durable);
// Reads at most `maxBytes`; a longer file is an error.
FileRead readFile(const std::string& path, size_t maxBytes);
// Removes `path` and everything below it; a missing path is success. Symbolic links are
// removed, never followed. Refuses trees deeper than REMOVE_DEPTH_MAX.
inline constexpr int REMOVE_DEPTH_MAX = 256;
FileStatus removeTree(const std::string& path);

// "a\0b\0" <-> {"a", "b"}: the argv and env files. Every item ends with a NUL.
std::string joinNul(const std::vector<std::string>& items);
std::vector<std::string> splitNul(std::string_view data);

// The fields of /proc/<pid>/stat that identify a process and its family.
struct ProcessStat {
  pid_t pid = 0;
  pid_t parent = 0;
  pid_t processGroup = 0;
  pid_t session = 0;
  // Clock ticks after boot at which the process started: with the pid, a name no reuse repeats.
  uint64_t startTime = 0;
  // 'R', 'S', 'Z' (zombie), ...
  char state = '?';
};

// This boot of the machine (/proc/sys/kernel/random/boot_id): start times count from the boot,
// so a pid and start time name one process only together with it. Empty if unreadable.
std::string bootId();

// Empty when the process does not exist (or /proc cannot be read).
std::optional<ProcessStat> readProcessStat(pid_t pid);
// Every process /proc shows, in pid order.
std::vector<ProcessStat> listProcesses();

}  // namespace swarmlet::io
