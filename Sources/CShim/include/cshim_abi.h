// Kernel ABI constants Swift reads by name instead of copying numbers by hand: scheduler policies
// and sched_attr flags, I/O priority classes, memory policy modes and flags, personality domains,
// close_range flags, capability numbers (see Kernel/Scheduler.swift, Kernel/Process.swift).
#ifndef SWIFTLET_CSHIM_ABI_H
#define SWIFTLET_CSHIM_ABI_H

#include <sched.h>
#include <linux/sched.h>
#include <linux/ioprio.h>
#include <linux/mempolicy.h>
#include <sys/personality.h>
#include <linux/close_range.h>
#include <sys/capability.h>

#endif
