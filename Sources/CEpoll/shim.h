#ifndef CEPOLL_SHIM_H
#define CEPOLL_SHIM_H
// Swift's Glibc module does not export these Linux headers; this shim does.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/socket.h>

// accept4(2) is declared by <sys/socket.h> only under _GNU_SOURCE, which Swift's Glibc
// module is not built with; the prototype is repeated here (same signature as glibc's).
extern int accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags);
#endif
