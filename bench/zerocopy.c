// Loopback send throughput, plain send(2) against MSG_ZEROCOPY, for the bulk path's decision (docs/architecture.md, Memory).
// A 256 KiB buffer (the server's reply buffer) is sent over and over to a reader that drops the bytes (MSG_TRUNC);
// with MSG_ZEROCOPY a buffer is rewritten only once the kernel reported its last send complete, as the server would
// have to. Build: gcc -O2 -Wall -o /tmp/zerocopy bench/zerocopy.c -lpthread; run: /tmp/zerocopy plain; /tmp/zerocopy zc 4
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY 60
#endif
#ifndef MSG_ZEROCOPY
#define MSG_ZEROCOPY 0x4000000
#endif
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static void *reader(void *arg) {
  int fd = *(int *)arg; static char sink[1 << 16];
  for (;;) { ssize_t n = recv(fd, sink, sizeof sink, MSG_TRUNC); if (n <= 0) break; }
  return NULL;
}
static void wait_completions(int fd, unsigned *done, unsigned want) {
  while (*done < want) {
    struct pollfd p = { fd, 0, 0 }; poll(&p, 1, 1000);
    char control[128]; struct msghdr msg = {0}; msg.msg_control = control; msg.msg_controllen = sizeof control;
    if (recvmsg(fd, &msg, MSG_ERRQUEUE) < 0) { if (errno == EAGAIN) continue; perror("errqueue"); exit(1); }
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    struct sock_extended_err *e = (struct sock_extended_err *)CMSG_DATA(c);
    *done = e->ee_data + 1;
  }
}
int main(int argc, char **argv) {
  int zerocopy = argc > 1 && !strcmp(argv[1], "zc"); size_t size = 256 * 1024; double seconds = 4;
  int listener = socket(AF_INET, SOCK_STREAM, 0); struct sockaddr_in a = { AF_INET, 0, { htonl(INADDR_LOOPBACK) } };
  bind(listener, (void *)&a, sizeof a); listen(listener, 1); socklen_t l = sizeof a; getsockname(listener, (void *)&a, &l);
  int client = socket(AF_INET, SOCK_STREAM, 0); connect(client, (void *)&a, sizeof a);
  int server = accept(listener, NULL, NULL);
  pthread_t t; pthread_create(&t, NULL, reader, &client);
  int one = 1; if (zerocopy && setsockopt(server, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof one)) { perror("SO_ZEROCOPY"); return 1; }
  int ring = argc > 2 ? atoi(argv[2]) : 1; char *buffers = malloc(size * ring); memset(buffers, 'A', size * ring);
  unsigned calls_at[64] = {0}; long round = 0;
  unsigned sent_calls = 0, done = 0; double bytes = 0, start = now();
  while (now() - start < seconds) {
    size_t off = 0; char *buffer = buffers + (round % ring) * size;
    if (zerocopy && round >= ring) wait_completions(server, &done, calls_at[round % ring]); // this buffer's last use is done
    while (off < size) {
      ssize_t n = send(server, buffer + off, size - off, zerocopy ? MSG_ZEROCOPY : 0);
      if (n < 0) { if (errno == ENOBUFS) { wait_completions(server, &done, sent_calls); continue; } perror("send"); return 1; }
      off += n; bytes += n; if (zerocopy) sent_calls++;
    }
    calls_at[round % ring] = sent_calls; round++;
  }
  double elapsed = now() - start;
  printf("%s, %d buffer(s) of 256 KiB: %.0f MB/s\n", zerocopy ? "MSG_ZEROCOPY" : "plain send", ring, bytes / elapsed / 1e6);
  shutdown(server, SHUT_WR); close(server); pthread_join(t, NULL); return 0;
}
