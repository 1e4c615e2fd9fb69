/*
 * hftp-load: an independent HFTP load generator, written in C with epoll and sharing no code with
 * hftp-benchmark, so that every figure hftp-benchmark reports can be cross-checked by a second tool.
 * Every reply is compared byte for byte with the one the protocol defines for the local copy of the file
 * (its size, and with --verify its bytes), so a wrong reply is counted, never measured as a success.
 *
 *   hftp-load small --port P --local PATH [-c 32] [-d 10]
 *       C connections, each with one get_metadata NAME in flight, for d seconds: req/s, p50/p99/max latency;
 *       then the same apart for each connection's first reply (which waits for the server to accept the
 *       connection) and for the requests sent once every connection had its first reply (with their mean:
 *       does any connection starve once all are served?).
 *   hftp-load redis --port P --local PATH [-c 32] [-d 10]
 *       The small load's anchor driven by this same client: stores the file's size in Redis (SET hftp-load:NAME
 *       SIZE), then C connections each keep one GET hftp-load:NAME in flight; every reply must be that size.
 *       redis-benchmark spends about twice this client's CPU per request, on the same two cores as the server.
 *   hftp-load open  --port P --local PATH [-n 10000] [--window 256] [--churn] [--hold-seconds S] [--probe-ms X]
 *       Opens n connections, at most `window` of them connecting or waiting for their reply at once; each
 *       sends one get_metadata and must get the right reply. Held until the end (default) or closed after
 *       its reply (--churn). conn/s from the first connect to the last reply. With --hold-seconds, the held
 *       connections stay open that long while (with --probe-ms) a fresh client measures its latency.
 *   hftp-load bulk  --port P --local PATH [-d 10] [--verify] [--discard] [--raw]
 *       One connection loops get_slice NAME 0 SIZE: decoded payload MB/s; checks the framing and the
 *       length of every reply (and with --verify decodes the base64 and compares every byte).
 *       With --discard the base64 is dropped by the kernel (recv MSG_TRUNC) instead of copied here.
 *       With --raw it loops get_slice NAME 0 SIZE raw (2026): the header must be exactly
 *       `0 OK\r\nContent-Length: SIZE\r\n\r\n` for the local file's SIZE, then exactly SIZE bytes follow (compared
 *       with the local file by --verify, dropped by the kernel with --discard).
 *   hftp-load probe --port P --local PATH [--interval-ms 10] [-d 10]
 *       A fresh connection and one get_metadata every interval: p50/p99/max latency.
 *   hftp-load http  --port P --local PATH --url-path /NAME [-d 10] [--discard]
 *       The anchor for bulk: one keep-alive connection loops GET /NAME against an HTTP server (nginx); the
 *       status and Content-Length must match the local file; body MB/s (copied, or dropped with --discard).
 *
 * NAME is the file name of --local (or --name). Loopback only. Raises RLIMIT_NOFILE to its hard limit.
 * Prints readable lines, then one line `RESULT mode=... key=value ...`. Exit status 0 only when every
 * reply was right and no connection failed; 1 otherwise; 2 on bad usage or setup.
 * Build: gcc -O2 -Wall -o hftp-load bench/hftp-load.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define REPLY_MAX 64
#define CONNECT_TIMEOUT_NS (10LL * 1000000000LL)
#define GRACE_NS (5LL * 1000000000LL)

static struct sockaddr_in server;
static char name[256];
static char request[320];
static size_t request_length;
static char expected[REPLY_MAX];
static size_t expected_length;
static long long file_size;
static const char *local_path;
static const char *small_mode = "small"; /* the RESULT line's mode for run_small: small, or redis */

static void die(const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    fprintf(stderr, "hftp-load: ");
    vfprintf(stderr, format, arguments);
    fprintf(stderr, "\n");
    va_end(arguments);
    exit(2);
}

static long long now_ns(void)
{
    struct timespec time;
    clock_gettime(CLOCK_MONOTONIC, &time);
    return time.tv_sec * 1000000000LL + time.tv_nsec;
}

/* Latencies in microseconds: 1 us buckets up to 10 ms, 100 us buckets up to 10 s, and the exact maximum. */
#define FINE 10000
#define COARSE 100000
struct histogram {
    long long counts[FINE + COARSE + 1];
    long long total;
    long long sum_us;
    long long max_us;
};

static void record(struct histogram *histogram, long long nanoseconds)
{
    long long us = nanoseconds / 1000;
    long long bucket = us < FINE ? us : FINE + (us - FINE) / 100;
    if (bucket > FINE + COARSE)
        bucket = FINE + COARSE;
    histogram->counts[bucket]++;
    histogram->total++;
    histogram->sum_us += us;
    if (us > histogram->max_us)
        histogram->max_us = us;
}

/* The latency in ms under which `fraction` of the samples fell (a bucket's upper edge, at most the maximum). */
static double percentile_ms(const struct histogram *histogram, double fraction)
{
    if (histogram->total == 0)
        return 0.0 / 0.0;
    long long rank = (long long)(fraction * histogram->total + 0.999999);
    long long seen = 0;
    for (long long bucket = 0; bucket <= FINE + COARSE; bucket++) {
        seen += histogram->counts[bucket];
        if (seen >= rank) {
            double us = bucket < FINE ? bucket + 1 : FINE + (bucket - FINE + 1) * 100.0;
            return (us < histogram->max_us ? us : histogram->max_us) / 1000.0;
        }
    }
    return histogram->max_us / 1000.0;
}

static void raise_file_limit(void)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
            perror("hftp-load: setrlimit");
    }
}

static long long file_limit(void)
{
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    return limit.rlim_cur == RLIM_INFINITY ? 1LL << 40 : (long long)limit.rlim_cur;
}

static int open_socket(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&server, sizeof server) != 0 && errno != EINPROGRESS) {
        int error = errno;
        close(fd);
        errno = error;
        return -1;
    }
    return fd;
}

static int connect_error(int fd)
{
    int error = 0;
    socklen_t length = sizeof error;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0)
        return errno;
    return error;
}

/* A blocking connection for the one-connection loops (bulk, http): a send or receive gives up after 10 s. */
static int connect_blocking(int no_delay)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (no_delay) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    struct timeval timeout = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    if (connect(fd, (struct sockaddr *)&server, sizeof server) != 0)
        die("connect: %s", strerror(errno));
    return fd;
}

/* recv on a blocking socket, tried again when a signal interrupts it. */
static ssize_t receive(int fd, void *buffer, size_t length, int flags)
{
    ssize_t read;
    do
        read = recv(fd, buffer, length, flags);
    while (read < 0 && errno == EINTR);
    return read;
}

/* Sends what remains of the request; returns 1 when all is sent, 0 when the socket is full, -1 on error. */
static int send_rest(int fd, size_t *sent)
{
    while (*sent < request_length) {
        ssize_t written = send(fd, request + *sent, request_length - *sent, MSG_NOSIGNAL);
        if (written > 0)
            *sent += (size_t)written;
        else if (written < 0 && errno == EINTR)
            continue;
        else if (written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        else
            return -1;
    }
    return 1;
}

enum reply_state { REPLY_PARTIAL, REPLY_DONE, REPLY_WRONG, REPLY_CLOSED };

/* Reads what has arrived of a get_metadata reply into buffer; compares every byte with the expected reply. */
static enum reply_state read_reply(int fd, char *buffer, size_t *received)
{
    for (;;) {
        ssize_t read = recv(fd, buffer + *received, REPLY_MAX - *received, 0);
        if (read > 0) {
            *received += (size_t)read;
            size_t compared = *received < expected_length ? *received : expected_length;
            if (memcmp(buffer, expected, compared) != 0 || *received > expected_length)
                return REPLY_WRONG;
            if (*received == expected_length)
                return REPLY_DONE;
        } else if (read < 0 && errno == EINTR) {
            continue;
        } else if (read < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return REPLY_PARTIAL;
        } else {
            return REPLY_CLOSED;
        }
    }
}

static void show_wrong(const char *buffer, size_t length)
{
    static int shown;
    if (shown++ >= 3)
        return;
    printf("wrong reply: \"");
    for (size_t index = 0; index < length; index++)
        printf(buffer[index] == '\r' ? "\\r" : buffer[index] == '\n' ? "\\n" : "%c", buffer[index]);
    printf("\" (expected %zu bytes)\n", expected_length);
}

/* ---- small: C connections, one request in flight each ---- */

struct connection {
    int fd;
    int state; /* 0 unused/closed, 1 connecting, 2 waiting for a reply, 3 done (held), 4 finished run */
    size_t sent;
    size_t received;
    long long started;
    long long replies;
    char buffer[REPLY_MAX];
};

static void watch(int epoll, int fd, uint32_t events, int index, int op)
{
    struct epoll_event event = {.events = events, .data.u32 = (uint32_t)index};
    if (epoll_ctl(epoll, op, fd, &event) != 0)
        die("epoll_ctl: %s", strerror(errno));
}

/* Waits up to timeout_ms for at most 1024 events; a signal is no error (none ready). */
static int wait_events(int epoll, struct epoll_event *events, int timeout_ms)
{
    int ready = epoll_wait(epoll, events, 1024, timeout_ms);
    if (ready < 0 && errno != EINTR)
        die("epoll_wait: %s", strerror(errno));
    return ready;
}

static void close_connection(struct connection *connection)
{
    close(connection->fd);
    connection->state = 0;
}

/* Sends what remains of a connection's request (then watches it for its reply only) and reads what has arrived
 * of the reply. A wrong reply is shown; a failed send is REPLY_CLOSED. */
static enum reply_state exchange(int epoll, struct connection *connection, int index)
{
    if (connection->sent < request_length) {
        int sent = send_rest(connection->fd, &connection->sent);
        if (sent < 0)
            return REPLY_CLOSED;
        if (sent == 1)
            watch(epoll, connection->fd, EPOLLIN, index, EPOLL_CTL_MOD);
    }
    enum reply_state state = read_reply(connection->fd, connection->buffer, &connection->received);
    if (state == REPLY_WRONG)
        show_wrong(connection->buffer, connection->received);
    return state;
}

static int run_small(int connections, double seconds)
{
    if (connections + 16 > file_limit())
        die("%d connections need more file descriptors than RLIMIT_NOFILE allows (%lld): raise `ulimit -Hn`", connections, file_limit());
    struct connection *all = calloc((size_t)connections, sizeof *all);
    int epoll = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event *events = malloc(1024 * sizeof *events);
    struct histogram *latencies = calloc(1, sizeof *latencies);
    /* Each connection's first reply waits for the server to accept it and give it a thread, which is admission,
       not service. The requests sent once every connection has had its first reply show whether any connection
       starves once all are served. Both are reported apart too. */
    struct histogram *firsts = calloc(1, sizeof *firsts), *steady = calloc(1, sizeof *steady);
    long long errors = 0, wrong = 0, requests = 0, all_served_at = 0;

    /* Connect every connection first; the timed run starts once all are open. */
    int pending = 0;
    for (int index = 0; index < connections; index++) {
        all[index].fd = open_socket();
        if (all[index].fd < 0) {
            errors++;
            continue;
        }
        all[index].state = 1;
        pending++;
        watch(epoll, all[index].fd, EPOLLOUT, index, EPOLL_CTL_ADD);
    }
    long long connect_deadline = now_ns() + CONNECT_TIMEOUT_NS;
    while (pending > 0 && now_ns() < connect_deadline) {
        int ready = epoll_wait(epoll, events, 1024, 100);
        for (int event = 0; event < ready; event++) {
            struct connection *connection = &all[events[event].data.u32];
            if (connection->state != 1)
                continue;
            pending--;
            if (connect_error(connection->fd) != 0) {
                errors++;
                close_connection(connection);
                continue;
            }
            connection->state = 2;
            watch(epoll, connection->fd, EPOLLIN, (int)events[event].data.u32, EPOLL_CTL_MOD);
        }
    }
    int open = 0;
    for (int index = 0; index < connections; index++) {
        if (all[index].state == 1) {
            errors++;
            close_connection(&all[index]);
        }
        open += all[index].state == 2;
    }

    long long started = now_ns();
    long long deadline = started + (long long)(seconds * 1e9);
    int active = 0;
    for (int index = 0; index < connections; index++) {
        struct connection *connection = &all[index];
        if (connection->state != 2)
            continue;
        connection->sent = connection->received = 0;
        connection->started = now_ns();
        int sent = send_rest(connection->fd, &connection->sent);
        if (sent < 0) {
            errors++;
            close_connection(connection);
            continue;
        }
        if (sent == 0)
            watch(epoll, connection->fd, EPOLLIN | EPOLLOUT, index, EPOLL_CTL_MOD);
        active++;
    }
    long long ended = started;
    while (active > 0) {
        long long now = now_ns();
        if (now > deadline + GRACE_NS)
            break;
        int ready = wait_events(epoll, events, 100);
        for (int event = 0; event < ready; event++) {
            int index = (int)events[event].data.u32;
            struct connection *connection = &all[index];
            if (connection->state != 2)
                continue;
            enum reply_state state = exchange(epoll, connection, index);
            if (state == REPLY_PARTIAL)
                continue;
            if (state == REPLY_WRONG) {
                wrong++;
                goto finished;
            }
            if (state == REPLY_CLOSED)
                goto closed;
            now = now_ns();
            record(latencies, now - connection->started);
            if (connection->replies++ == 0) {
                record(firsts, now - connection->started);
                if (firsts->total == open)
                    all_served_at = now;
            } else if (all_served_at != 0 && connection->started >= all_served_at) {
                record(steady, now - connection->started);
            }
            requests++;
            ended = now;
            if (now >= deadline) {
                connection->state = 4;
                active--;
                continue;
            }
            connection->sent = connection->received = 0;
            connection->started = now;
            int sent = send_rest(connection->fd, &connection->sent);
            if (sent == 0)
                watch(epoll, connection->fd, EPOLLIN | EPOLLOUT, index, EPOLL_CTL_MOD);
            if (sent >= 0)
                continue;
        closed:
            errors++;
        finished:
            close_connection(connection);
            active--;
        }
    }
    errors += active; /* still waiting for a reply 5 s after the end */
    for (int index = 0; index < connections; index++)
        if (all[index].state != 0)
            close(all[index].fd);

    double elapsed = (ended - started) / 1e9;
    double rps = elapsed > 0 ? requests / elapsed : 0;
    printf("%s: %.*s x %d connections (%d opened), 1 in flight, for %.2f s: %lld requests, %lld wrong, %lld errors\n", small_mode,
           (int)request_length - 2, request, connections, open, elapsed, requests, wrong, errors);
    printf("throughput: %.0f requests/s; latency p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", rps, percentile_ms(latencies, 0.5),
           percentile_ms(latencies, 0.99), latencies->max_us / 1000.0);
    double steady_mean_ms = steady->total > 0 ? steady->sum_us / 1000.0 / steady->total : 0.0 / 0.0;
    printf("each connection's first reply (%lld): p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", firsts->total, percentile_ms(firsts, 0.5),
           percentile_ms(firsts, 0.99), firsts->max_us / 1000.0);
    printf("requests sent once every connection had its first reply (%.2f s in; %lld): p50 %.3f ms, p99 %.3f ms, max %.3f ms, mean %.3f ms; "
           "p99 / mean %.2f\n", all_served_at ? (all_served_at - started) / 1e9 : 0.0 / 0.0, steady->total, percentile_ms(steady, 0.5),
           percentile_ms(steady, 0.99), steady->max_us / 1000.0, steady_mean_ms, percentile_ms(steady, 0.99) / steady_mean_ms);
    printf("RESULT mode=%s connections=%d rps=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f requests=%lld wrong=%lld errors=%lld first_p50_ms=%.3f first_p99_ms=%.3f "
           "first_max_ms=%.3f all_served_s=%.3f later_p99_ms=%.3f later_mean_ms=%.3f later_max_ms=%.3f\n", small_mode, connections, rps, percentile_ms(latencies, 0.5),
           percentile_ms(latencies, 0.99), latencies->max_us / 1000.0, requests, wrong, errors, percentile_ms(firsts, 0.5), percentile_ms(firsts, 0.99),
           firsts->max_us / 1000.0, all_served_at ? (all_served_at - started) / 1e9 : 0.0 / 0.0, percentile_ms(steady, 0.99), steady_mean_ms,
           steady->max_us / 1000.0);
    return wrong == 0 && errors == 0 && requests > 0 ? 0 : 1;
}

/* ---- redis: the small load against Redis, with this same client ---- */

/* Stores the file's size under hftp-load:NAME with one SET, then runs the small load asking GET for it: the same
 * loop, connections and checks as against hftp-server, so the anchor is not measured by a heavier client. */
static int run_redis(int connections, double seconds)
{
    char key[300], command[400], reply[8];
    snprintf(key, sizeof key, "hftp-load:%s", name);
    int length = snprintf(command, sizeof command, "SET %s %lld\r\n", key, file_size);
    int fd = connect_blocking(1);
    if (send(fd, command, (size_t)length, MSG_NOSIGNAL) != length)
        die("SET %s: send failed: %s", key, strerror(errno));
    size_t received = 0;
    while (received < 5) {
        ssize_t read = receive(fd, reply + received, 5 - received, 0);
        if (read <= 0)
            die("SET %s: no reply", key);
        received += (size_t)read;
    }
    if (memcmp(reply, "+OK\r\n", 5) != 0)
        die("SET %s: not +OK: is port %d a Redis server?", key, ntohs(server.sin_port));
    close(fd);

    char size[32];
    int digits = snprintf(size, sizeof size, "%lld", file_size);
    request_length = (size_t)snprintf(request, sizeof request, "GET %s\r\n", key);
    expected_length = (size_t)snprintf(expected, sizeof expected, "$%d\r\n%s\r\n", digits, size);
    small_mode = "redis";
    return run_small(connections, seconds);
}

/* ---- probe: a fresh connection per request ---- */

/* One fresh connection, one get_metadata; returns 0 and the latency, 1 on a wrong reply, -1 on a failure. */
static int probe_once(long long *latency_ns)
{
    long long started = now_ns();
    int fd = open_socket();
    if (fd < 0)
        return -1;
    struct pollfd poll_fd = {.fd = fd, .events = POLLOUT};
    int result = -1;
    size_t sent = 0, received = 0;
    char buffer[REPLY_MAX];
    long long deadline = started + CONNECT_TIMEOUT_NS;
    for (;;) {
        int left_ms = (int)((deadline - now_ns()) / 1000000);
        if (left_ms <= 0)
            break;
        int ready = poll(&poll_fd, 1, left_ms);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            break;
        if (poll_fd.events == POLLOUT) {
            if (connect_error(fd) != 0)
                break;
            int done = send_rest(fd, &sent);
            if (done < 0)
                break;
            if (done == 1)
                poll_fd.events = POLLIN;
            continue;
        }
        enum reply_state state = read_reply(fd, buffer, &received);
        if (state == REPLY_PARTIAL)
            continue;
        if (state == REPLY_DONE) {
            *latency_ns = now_ns() - started;
            result = 0;
        } else if (state == REPLY_WRONG) {
            show_wrong(buffer, received);
            result = 1;
        }
        break;
    }
    close(fd);
    return result;
}

struct probe_totals {
    struct histogram *latencies;
    long long failures;
    long long wrong;
};

static void probe_for(double seconds, int interval_ms, struct probe_totals *totals)
{
    long long deadline = now_ns() + (long long)(seconds * 1e9);
    long long next = now_ns();
    while (now_ns() < deadline) {
        long long latency = 0;
        int result = probe_once(&latency);
        if (result == 0)
            record(totals->latencies, latency);
        else if (result > 0)
            totals->wrong++;
        else
            totals->failures++;
        next += interval_ms * 1000000LL;
        long long now = now_ns();
        if (next < now)
            next = now; /* a slow reply delays the next probe; it does not cause a burst */
        struct timespec pause = {.tv_sec = (next - now) / 1000000000LL, .tv_nsec = (next - now) % 1000000000LL};
        while (nanosleep(&pause, &pause) != 0 && errno == EINTR) {
        }
    }
}

static int run_probe(double seconds, int interval_ms)
{
    struct probe_totals totals = {.latencies = calloc(1, sizeof(struct histogram))};
    probe_for(seconds, interval_ms, &totals);
    struct histogram *latencies = totals.latencies;
    printf("probe: a fresh connection + get_metadata %s every %d ms for %.0f s: %lld requests, %lld failed, %lld wrong\n", name, interval_ms, seconds,
           latencies->total, totals.failures, totals.wrong);
    printf("latency p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", percentile_ms(latencies, 0.5), percentile_ms(latencies, 0.99), latencies->max_us / 1000.0);
    printf("RESULT mode=probe requests=%lld p50_ms=%.3f p99_ms=%.3f max_ms=%.3f failures=%lld wrong=%lld\n", latencies->total, percentile_ms(latencies, 0.5),
           percentile_ms(latencies, 0.99), latencies->max_us / 1000.0, totals.failures, totals.wrong);
    return totals.failures == 0 && totals.wrong == 0 && latencies->total > 0 ? 0 : 1;
}

/* ---- open: connection-open rate ---- */

static int run_open(int count, int window, int churn, double seconds, double hold_seconds, int probe_ms)
{
    if (!churn && count + 16 > file_limit())
        die("holding %d connections needs more file descriptors than RLIMIT_NOFILE allows (%lld): raise `ulimit -Hn`, or use --churn", count, file_limit());
    if (window + 16 > file_limit())
        die("a window of %d needs more file descriptors than RLIMIT_NOFILE allows (%lld)", window, file_limit());
    struct connection *all = calloc((size_t)count, sizeof *all);
    int epoll = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event *events = malloc(1024 * sizeof *events);
    struct histogram *latencies = calloc(1, sizeof *latencies);
    long long failed = 0, wrong = 0, served = 0;
    int next = 0, in_progress = 0;
    long long started = now_ns(), last_reply = started, last_scan = started;
    long long deadline = started + (long long)(seconds * 1e9);

    while ((next < count || in_progress > 0) && now_ns() < deadline) {
        while (next < count && in_progress < window) {
            struct connection *connection = &all[next];
            connection->started = now_ns();
            connection->fd = open_socket();
            if (connection->fd < 0) {
                failed++;
                if (failed <= 3)
                    printf("connect failed: %s\n", strerror(errno));
                next++;
                continue;
            }
            connection->state = 1;
            watch(epoll, connection->fd, EPOLLOUT, next, EPOLL_CTL_ADD);
            next++;
            in_progress++;
        }
        int ready = wait_events(epoll, events, 50);
        for (int event = 0; event < ready; event++) {
            int index = (int)events[event].data.u32;
            struct connection *connection = &all[index];
            if (connection->state == 1) {
                if (connect_error(connection->fd) != 0)
                    goto failed;
                connection->state = 2;
                int sent = send_rest(connection->fd, &connection->sent);
                if (sent < 0)
                    goto failed;
                watch(epoll, connection->fd, sent ? EPOLLIN : EPOLLIN | EPOLLOUT, index, EPOLL_CTL_MOD);
                continue;
            }
            if (connection->state != 2)
                continue;
            enum reply_state state = exchange(epoll, connection, index);
            if (state == REPLY_PARTIAL)
                continue;
            if (state == REPLY_WRONG) {
                wrong++;
                goto closed;
            }
            if (state == REPLY_CLOSED)
                goto failed;
            last_reply = now_ns();
            record(latencies, last_reply - connection->started);
            served++;
            in_progress--;
            if (churn) {
                close_connection(connection);
            } else {
                epoll_ctl(epoll, EPOLL_CTL_DEL, connection->fd, NULL);
                connection->state = 3;
            }
            continue;
        failed:
            failed++;
        closed:
            close_connection(connection);
            in_progress--;
        }
        /* A connection that has waited 10 s for its connect or reply has failed (looked for twice a second). */
        long long now = now_ns();
        if (now - last_scan < 500000000LL)
            continue;
        last_scan = now;
        for (int index = 0; index < next && in_progress > 0; index++) {
            struct connection *connection = &all[index];
            if ((connection->state == 1 || connection->state == 2) && now - connection->started > CONNECT_TIMEOUT_NS) {
                failed++;
                close_connection(connection);
                in_progress--;
            }
        }
    }
    for (int index = 0; index < count; index++) {
        if (all[index].state == 1 || all[index].state == 2) {
            failed++;
            close_connection(&all[index]);
        }
    }
    failed += count - next; /* never started: the time ran out */

    double elapsed = (last_reply - started) / 1e9;
    double rate = elapsed > 0 ? served / elapsed : 0;
    printf("open: %d connections, at most %d opening at once, %s: %lld served in %.2f s (%lld failed, %lld wrong)\n", count, window,
           churn ? "each closed after its reply" : "all held", served, elapsed, failed, wrong);
    printf("rate: %.0f connections/s; connect to reply p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", rate, percentile_ms(latencies, 0.5),
           percentile_ms(latencies, 0.99), latencies->max_us / 1000.0);

    struct probe_totals probe = {.latencies = calloc(1, sizeof(struct histogram))};
    long long still_open = 0;
    if (!churn && hold_seconds > 0) {
        printf("holding %lld connections for %.0f s\n", served, hold_seconds);
        fflush(stdout);
        if (probe_ms > 0) {
            probe_for(hold_seconds, probe_ms, &probe);
        } else {
            struct timespec pause = {.tv_sec = (time_t)hold_seconds, .tv_nsec = 0};
            while (nanosleep(&pause, &pause) != 0 && errno == EINTR) {
            }
        }
        /* Every held connection must still be open: no end of stream or error waiting on it. */
        for (int index = 0; index < count; index++) {
            if (all[index].state != 3)
                continue;
            char byte;
            ssize_t read = recv(all[index].fd, &byte, 1, MSG_DONTWAIT | MSG_PEEK);
            still_open += read < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
        }
        printf("still open after the hold: %lld of %lld\n", still_open, served);
        if (probe_ms > 0)
            printf("fresh client meanwhile: %lld requests, %lld failed, %lld wrong; p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", probe.latencies->total,
                   probe.failures, probe.wrong, percentile_ms(probe.latencies, 0.5), percentile_ms(probe.latencies, 0.99), probe.latencies->max_us / 1000.0);
    }
    for (int index = 0; index < count; index++)
        if (all[index].state == 3)
            close(all[index].fd);

    printf("RESULT mode=open connections=%d window=%d churn=%s served=%lld failed=%lld wrong=%lld seconds=%.3f conn_per_s=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f",
           count, window, churn ? "yes" : "no", served, failed, wrong, elapsed, rate, percentile_ms(latencies, 0.5), percentile_ms(latencies, 0.99),
           latencies->max_us / 1000.0);
    int ok = wrong == 0 && failed == 0 && served == count;
    if (!churn && hold_seconds > 0) {
        printf(" held_s=%.0f still_open=%lld", hold_seconds, still_open);
        ok = ok && still_open == served;
    }
    if (!churn && hold_seconds > 0 && probe_ms > 0) {
        printf(" probe_requests=%lld probe_failures=%lld probe_wrong=%lld probe_p50_ms=%.3f probe_p99_ms=%.3f probe_max_ms=%.3f", probe.latencies->total,
               probe.failures, probe.wrong, percentile_ms(probe.latencies, 0.5), percentile_ms(probe.latencies, 0.99), probe.latencies->max_us / 1000.0);
        ok = ok && probe.failures == 0 && probe.wrong == 0;
    }
    printf("\n");
    return ok ? 0 : 1;
}

/* ---- bulk: one connection, whole-file slices ---- */

static signed char base64_values[256];

static void base64_init(void)
{
    const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    memset(base64_values, -1, sizeof base64_values);
    for (int index = 0; index < 64; index++)
        base64_values[(unsigned char)alphabet[index]] = (signed char)index;
}

/* Decodes base64 and compares it with the local file as it streams by (carrying partial quartets). */
struct verifier {
    const unsigned char *file;
    long long position;
    unsigned char quartet[4];
    int filled;
    int bad;
};

static void verify_chunk(struct verifier *verifier, const unsigned char *text, size_t length)
{
    for (size_t index = 0; index < length && !verifier->bad; index++) {
        verifier->quartet[verifier->filled++] = text[index];
        if (verifier->filled < 4)
            continue;
        verifier->filled = 0;
        unsigned char *q = verifier->quartet;
        int pad = (q[3] == '=') + (q[2] == '=');
        int a = base64_values[q[0]], b = base64_values[q[1]];
        int c = q[2] == '=' ? 0 : base64_values[q[2]], d = q[3] == '=' ? 0 : base64_values[q[3]];
        if (a < 0 || b < 0 || c < 0 || d < 0 || (q[2] == '=' && q[3] != '=')) {
            verifier->bad = 1;
            break;
        }
        unsigned char bytes[3] = {(unsigned char)(a << 2 | b >> 4), (unsigned char)(b << 4 | c >> 2), (unsigned char)(c << 6 | d)};
        int count = 3 - pad;
        if (verifier->position + count > file_size || memcmp(bytes, verifier->file + verifier->position, (size_t)count) != 0)
            verifier->bad = 1;
        verifier->position += count;
    }
}

/* File bytes per second over `replies` whole-file transfers, in MB/s (bulk and http alike). */
static double payload_mbps(long long replies, double elapsed)
{
    return elapsed > 0 ? replies * (double)file_size / 1e6 / elapsed : 0;
}

static int run_bulk(double seconds, int verify, int discard, int raw)
{
    const unsigned char *file = NULL;
    if (verify) {
        int fd = open(local_path, O_RDONLY);
        if (fd < 0 || (file_size > 0 && (file = mmap(NULL, (size_t)file_size, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED))
            die("cannot map %s: %s", local_path, strerror(errno));
        close(fd);
        base64_init();
    }
    request_length = (size_t)snprintf(request, sizeof request, "get_slice %s 0 %lld%s\r\n", name, file_size, raw ? " raw" : "");
    /* A reply is a head (status line; raw: and its header), a body (base64, or raw: the bytes) and a tail ("\r\n"; raw: none). */
    char status[64];
    int head = raw ? snprintf(status, sizeof status, "0 OK\r\nContent-Length: %lld\r\n\r\n", file_size) : snprintf(status, sizeof status, "0 OK\r\n");
    long long encoded = raw ? file_size : (file_size + 2) / 3 * 4;
    long long reply_length = head + encoded + (raw ? 0 : 2);
    size_t capacity = 1 << 20;
    unsigned char *buffer = malloc(capacity);

    int fd = connect_blocking(1);

    long long replies = 0, wrong = 0, errors = 0;
    long long started = now_ns(), ended = started;
    long long deadline = started + (long long)(seconds * 1e9);
    while (now_ns() < deadline && wrong == 0 && errors == 0) {
        size_t sent = 0;
        while (sent < request_length) {
            ssize_t written = send(fd, request + sent, request_length - sent, MSG_NOSIGNAL);
            if (written < 0 && errno == EINTR)
                continue;
            if (written <= 0) {
                errors++;
                break;
            }
            sent += (size_t)written;
        }
        if (errors)
            break;
        struct verifier verifier = {.file = file};
        long long position = 0; /* within the reply: head, body, tail */
        while (position < reply_length) {
            long long want = reply_length - position;
            /* With --discard the kernel drops the body without copying it here (MSG_TRUNC), so a server faster
             * than this process can copy is not capped by it; the head and tail are still read. */
            int dropping = discard && position >= head && position < head + encoded;
            if (dropping && want > head + encoded - position)
                want = head + encoded - position;
            ssize_t read = receive(fd, dropping ? NULL : buffer, want < (long long)capacity ? (size_t)want : capacity, dropping ? MSG_TRUNC : 0);
            if (read <= 0) {
                printf("bulk: %s after %lld of %lld bytes of a reply\n", read == 0 ? "end of stream" : strerror(errno), position, reply_length);
                errors++;
                break;
            }
            if (dropping) {
                position += read;
                continue;
            }
            /* Split what arrived into its head, body and tail parts and check each. */
            long long chunk_start = position, chunk_end = position + read;
            for (long long at = chunk_start; at < chunk_end && at < head; at++)
                if (buffer[at - chunk_start] != (unsigned char)status[at])
                    wrong++;
            if (wrong) /* a wrong head (an error reply, say) has no body to wait for */
                break;
            long long body_from = chunk_start > head ? chunk_start : head, body_to = chunk_end < head + encoded ? chunk_end : head + encoded;
            if (body_to > body_from && verify) {
                const unsigned char *body = buffer + (body_from - chunk_start);
                size_t body_length = (size_t)(body_to - body_from);
                if (!raw)
                    verify_chunk(&verifier, body, body_length);
                else if (memcmp(body, file + (body_from - head), body_length) != 0)
                    verifier.bad = 1;
                else
                    verifier.position += (long long)body_length;
            }
            for (long long at = chunk_end - 1; at >= chunk_start && at >= head + encoded; at--)
                if (buffer[at - chunk_start] != (unsigned char)"\r\n"[at - head - encoded])
                    wrong++;
            position = chunk_end;
        }
        if (errors)
            break;
        if (verify && (verifier.bad || verifier.filled != 0 || verifier.position != file_size))
            wrong++;
        if (wrong) {
            printf("bulk: a reply differs from the local file (%s, length%s)\n", raw ? "header" : "framing", verify ? " or bytes" : "");
            break;
        }
        replies++;
        ended = now_ns();
    }
    close(fd);
    double elapsed = (ended - started) / 1e9;
    double mbps = payload_mbps(replies, elapsed);
    printf("bulk: get_slice %s 0 %lld%s, 1 connection, for %.2f s: %lld replies%s, %lld wrong, %lld errors\n", name, file_size, raw ? " raw" : "", elapsed,
           replies, verify ? " (every byte verified)" : " (framing and length checked)", wrong, errors);
    printf("throughput: %.1f MB/s of file (%.1f MB/s on the wire)\n", mbps, elapsed > 0 ? replies * (double)reply_length / 1e6 / elapsed : 0);
    printf("RESULT mode=bulk mbps=%.1f replies=%lld seconds=%.3f verified=%s raw=%s wrong=%lld errors=%lld\n", mbps, replies, elapsed, verify ? "yes" : "no",
           raw ? "yes" : "no", wrong, errors);
    return wrong == 0 && errors == 0 && replies > 0 ? 0 : 1;
}

/* ---- http: the same bulk loop against an HTTP server (nginx), for a like-for-like anchor ---- */

static int run_http(double seconds, const char *path, int discard)
{
    char get[512];
    int get_length = snprintf(get, sizeof get, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n", path);
    size_t capacity = 1 << 20;
    char *buffer = malloc(capacity + 1);
    int fd = connect_blocking(0);
    long long replies = 0, wrong = 0, errors = 0;
    long long started = now_ns(), ended = started;
    long long deadline = started + (long long)(seconds * 1e9);
    while (now_ns() < deadline && wrong == 0 && errors == 0) {
        if (send(fd, get, (size_t)get_length, MSG_NOSIGNAL) != get_length) {
            errors++;
            break;
        }
        size_t filled = 0;
        char *end = NULL;
        while (end == NULL) {
            ssize_t read = filled < 65536 ? receive(fd, buffer + filled, 65536 - filled, 0) : 0;
            if (read <= 0) {
                errors++;
                break;
            }
            filled += (size_t)read;
            buffer[filled] = '\0';
            end = strstr(buffer, "\r\n\r\n");
        }
        if (errors)
            break;
        const char *length = strcasestr(buffer, "\r\nContent-Length:");
        if (strncmp(buffer, "HTTP/1.1 200 ", 13) != 0 || length == NULL || length > end || atoll(length + 17) != file_size) {
            printf("http: not a 200 with Content-Length %lld: %.60s\n", file_size, buffer);
            wrong++;
            break;
        }
        long long remaining = file_size - (long long)(filled - (size_t)(end + 4 - buffer));
        while (remaining > 0) {
            ssize_t read = receive(fd, discard ? NULL : buffer, remaining < (long long)capacity ? (size_t)remaining : capacity, discard ? MSG_TRUNC : 0);
            if (read <= 0) {
                errors++;
                break;
            }
            remaining -= read;
        }
        if (errors || remaining < 0)
            break;
        replies++;
        ended = now_ns();
    }
    close(fd);
    double elapsed = (ended - started) / 1e9;
    double mbps = payload_mbps(replies, elapsed);
    printf("http: GET %s (%lld bytes), 1 connection, for %.2f s: %lld replies%s, %lld wrong, %lld errors\n", path, file_size, elapsed, replies,
           discard ? " (bodies dropped by the kernel)" : "", wrong, errors);
    printf("RESULT mode=http mbps=%.1f replies=%lld seconds=%.3f discard=%s wrong=%lld errors=%lld\n", mbps, replies, elapsed, discard ? "yes" : "no", wrong,
           errors);
    return wrong == 0 && errors == 0 && replies > 0 ? 0 : 1;
}

static void usage(void)
{
    fprintf(stderr, "usage: hftp-load small|redis|open|bulk|probe|http --port P --local PATH [--host 127.0.0.1] [--name NAME] [-c CONNECTIONS] [-n CONNECTIONS]\n"
                    "       [-d SECONDS] [--window W] [--churn] [--hold-seconds S] [--probe-ms X] [--interval-ms X] [--verify] [--discard] [--raw] [--url-path /PATH]\n");
    exit(2);
}

static double number(const char *text, double minimum, double maximum, const char *option)
{
    char *end;
    double value = strtod(text, &end);
    if (*text == '\0' || *end != '\0' || value < minimum || value > maximum)
        die("%s must be a number from %g to %g (got '%s')", option, minimum, maximum, text);
    return value;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        usage();
    const char *mode = argv[1], *host = "127.0.0.1", *given_name = NULL, *url_path = NULL;
    int port = 0, connections = 32, count = 10000, window = 256, churn = 0, probe_ms = 0, interval_ms = 10, verify = 0, discard = 0, raw = 0;
    double seconds = -1, hold_seconds = 0;
    for (int index = 2; index < argc; index++) {
        const char *option = argv[index];
        const char *value = index + 1 < argc ? argv[index + 1] : NULL;
        if (strcmp(option, "--churn") == 0) {
            churn = 1;
            continue;
        }
        if (strcmp(option, "--hold") == 0) {
            churn = 0;
            continue;
        }
        if (strcmp(option, "--verify") == 0) {
            verify = 1;
            continue;
        }
        if (strcmp(option, "--discard") == 0) {
            discard = 1;
            continue;
        }
        if (strcmp(option, "--raw") == 0) {
            raw = 1;
            continue;
        }
        if (value == NULL)
            usage();
        index++;
        if (strcmp(option, "--host") == 0)
            host = value;
        else if (strcmp(option, "--port") == 0 || strcmp(option, "-p") == 0)
            port = (int)number(value, 1, 65535, option);
        else if (strcmp(option, "--local") == 0)
            local_path = value;
        else if (strcmp(option, "--name") == 0)
            given_name = value;
        else if (strcmp(option, "--url-path") == 0)
            url_path = value;
        else if (strcmp(option, "-c") == 0 || strcmp(option, "--connections") == 0)
            connections = (int)number(value, 1, 100000, option);
        else if (strcmp(option, "-n") == 0)
            count = (int)number(value, 1, 100000, option);
        else if (strcmp(option, "-d") == 0 || strcmp(option, "--seconds") == 0)
            seconds = number(value, 0.1, 600, option);
        else if (strcmp(option, "--window") == 0)
            window = (int)number(value, 1, 100000, option);
        else if (strcmp(option, "--hold-seconds") == 0)
            hold_seconds = number(value, 0, 600, option);
        else if (strcmp(option, "--probe-ms") == 0)
            probe_ms = (int)number(value, 1, 60000, option);
        else if (strcmp(option, "--interval-ms") == 0)
            interval_ms = (int)number(value, 1, 60000, option);
        else
            usage();
    }
    if (port == 0 || local_path == NULL)
        usage();
    memset(&server, 0, sizeof server);
    server.sin_family = AF_INET;
    server.sin_port = htons((uint16_t)port);
    if (strcmp(host, "localhost") == 0)
        host = "127.0.0.1";
    if (inet_pton(AF_INET, host, &server.sin_addr) != 1 || (ntohl(server.sin_addr.s_addr) >> 24) != 127)
        die("--host must be an IPv4 loopback address (127.x.x.x), got '%s'", host);

    struct stat status;
    if (stat(local_path, &status) != 0 || !S_ISREG(status.st_mode))
        die("--local %s: not a regular file", local_path);
    file_size = (long long)status.st_size;
    char *path_copy = strdup(local_path);
    snprintf(name, sizeof name, "%s", given_name ? given_name : basename(path_copy));
    request_length = (size_t)snprintf(request, sizeof request, "get_metadata %s\r\n", name);
    expected_length = (size_t)snprintf(expected, sizeof expected, "0 OK\r\n%lld\r\n", file_size);

    raise_file_limit();
    signal(SIGPIPE, SIG_IGN);
    /* Every load ends on its own; this bounds the process even if one never does. */
    double bound = (seconds > 0 ? seconds : 60) + hold_seconds + 120;
    alarm((unsigned)bound);

    if (strcmp(mode, "small") == 0)
        return run_small(connections, seconds > 0 ? seconds : 10);
    if (strcmp(mode, "redis") == 0)
        return run_redis(connections, seconds > 0 ? seconds : 10);
    if (strcmp(mode, "open") == 0)
        return run_open(count, window, churn, seconds > 0 ? seconds : 60, hold_seconds, probe_ms);
    if (strcmp(mode, "bulk") == 0)
        return run_bulk(seconds > 0 ? seconds : 10, verify, discard, raw);
    if (strcmp(mode, "http") == 0)
        return run_http(seconds > 0 ? seconds : 10, url_path ? url_path : "/", discard);
    if (strcmp(mode, "probe") == 0)
        return run_probe(seconds > 0 ? seconds : 10, interval_ms);
    usage();
    return 2;
}
