/*
 * policy_watch.h - automatic reload when a policy file changes.
 *
 * Interface: policy_watch_start() starts one thread.  While the snapshot
 * in force says policy_watch = true, it watches (inotify) policy_dir, the
 * directory of every policy_dir domain's policy file and the directory of
 * every policy_file; a change there (write, create, delete, rename,
 * chmod) is followed, once the tree has been quiet for
 * POLICY_WATCH_QUIET_MS, by the same reload as SIGHUP (the reload
 * function passed in), so a broken edit is logged and the old snapshot
 * stays.  The watch set is rebuilt whenever a new snapshot is installed.
 *
 * Failure modes: returns -1 when the thread cannot be created.  When the
 * kernel's watch limit (fs.inotify.max_user_watches) is reached, a
 * warning says how many directories are watched; changes elsewhere then
 * need SIGHUP.
 */
#ifndef MTASTS_POLICY_WATCH_H
#define MTASTS_POLICY_WATCH_H

#define POLICY_WATCH_QUIET_MS	300

int	policy_watch_start(void (*reload)(void));

#endif
