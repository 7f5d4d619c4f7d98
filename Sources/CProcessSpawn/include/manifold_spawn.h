// What glibc declares only under _GNU_SOURCE, which Swift's Glibc module does not define: the
// posix_spawn file actions that close every descriptor the child would inherit and change its
// working directory, and pipe2. Used by ManifoldIO's SpawnedProcess.
#ifndef MANIFOLD_SPAWN_H
#define MANIFOLD_SPAWN_H

#include <spawn.h>

/// posix_spawn_file_actions_addclosefrom_np: close every descriptor >= from in the child.
int manifold_spawn_add_closefrom(posix_spawn_file_actions_t *actions, int from);

/// posix_spawn_file_actions_addchdir_np: change the child's working directory.
int manifold_spawn_add_chdir(posix_spawn_file_actions_t *actions, const char *path);

/// pipe2(fds, O_CLOEXEC): a pipe whose ends no other child inherits.
int manifold_pipe_cloexec(int fds[2]);

#endif
