#ifndef CEPOLL_SHIM_H
#define CEPOLL_SHIM_H
// Swift's Glibc module does not export these Linux headers; this shim does.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#endif
