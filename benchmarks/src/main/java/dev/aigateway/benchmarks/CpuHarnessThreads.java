package dev.aigateway.benchmarks;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Where this process's CPU time goes, thread by thread, as Linux accounts it: each thread's user
 * and kernel time ({@code /proc/self/task/TID/stat}, clock ticks), its time on a CPU ({@code
 * schedstat}, nanoseconds), its voluntary and involuntary context switches ({@code status}), and
 * the process's own user and kernel time ({@code /proc/self/stat}, which keeps the time of threads
 * that have ended), plus the JVM's collections and compilation time. Threads are put in groups by
 * name ({@link Group}); a {@link Tally} sums what a kind of round cost over many rounds. {@link
 * CpuHarness} prints this breakdown with {@code --threads}; the class's name starts with the
 * harness's so that {@code scripts/harness-cpu.sh} copies it with the harness's classes.
 *
 * <p>Reading the files costs the reading thread about a millisecond per snapshot (tens of threads,
 * three files each); {@link CpuHarness} takes its snapshots outside the window its other figures
 * measure. Off Linux (no {@code /proc/self/task}) a snapshot is empty and {@link #available()} is
 * false.
 */
final class CpuHarnessThreads {

  /** Clock ticks per second of {@code utime}/{@code stime} ({@code USER_HZ}; 100 on Linux). */
  static final long TICKS_PER_SECOND = 100;

  private static final Path TASKS = Path.of("/proc/self/task");
  private static final Path PROCESS_STAT = Path.of("/proc/self/stat");

  /** Groups of threads, by the name the JVM or the library gives them. */
  enum Group {
    /** The thread that makes the calls. */
    CALLER,
    /** OkHttp's {@code TaskRunner} threads (connection pool clean-up, call timeouts' tasks). */
    OKHTTP,
    /** okio's {@code Okio Watchdog}: the thread that fires read, write and call timeouts. */
    WATCHDOG,
    /** The JIT compilers. */
    COMPILER,
    /** The garbage collector's threads. */
    GC,
    /** The VM thread (safepoints, operations) and the VM's periodic task thread. */
    VM,
    /** Any other thread still alive at the snapshot. */
    OTHER,
    /** Threads that ended between two snapshots: the process's time that no live thread has. */
    ENDED;

    /** The group of a thread named {@code name} ({@code comm}, at most 15 characters). */
    static Group of(String name, boolean caller) {
      if (caller) {
        return CALLER;
      }
      if (name.startsWith("OkHttp")) {
        return OKHTTP;
      }
      if (name.startsWith("Okio Watchdog")) {
        return WATCHDOG;
      }
      if (name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler")) {
        return COMPILER;
      }
      if (name.startsWith("GC Thread")
          || name.startsWith("G1 ")
          || name.startsWith("Parallel GC")
          || name.startsWith("ZGC")) {
        return GC;
      }
      if (name.startsWith("VM Thread") || name.startsWith("VM Periodic")) {
        return VM;
      }
      return OTHER;
    }
  }

  /** One thread's counters at a snapshot. */
  record Task(
      String name,
      long userTicks,
      long systemTicks,
      long runNanos,
      long voluntary,
      long involuntary) {}

  /** The process's counters at one moment. */
  record Snapshot(
      Map<Integer, Task> tasks,
      long processUserTicks,
      long processSystemTicks,
      long collections,
      long collectionMillis,
      long compilationMillis) {}

  /** What a group of threads cost between two snapshots (or summed over several such spans). */
  static final class Cost {
    long userTicks;
    long systemTicks;
    long runNanos;
    long voluntary;
    long involuntary;

    void add(long user, long system, long run, long vol, long invol) {
      userTicks += user;
      systemTicks += system;
      runNanos += run;
      voluntary += vol;
      involuntary += invol;
    }
  }

  /**
   * What one kind of round cost, summed over its rounds: calls, each group's cost, the process's
   * user and kernel ticks, collections and compilation.
   */
  static final class Tally {
    long calls;
    long processUserTicks;
    long processSystemTicks;
    long collections;
    long collectionMillis;
    long compilationMillis;
    final Map<Group, Cost> groups = new EnumMap<>(Group.class);

    Tally() {
      for (Group group : Group.values()) {
        groups.put(group, new Cost());
      }
    }

    /** Adds the span from {@code before} to {@code after}, in which {@code calls} were made. */
    void add(Snapshot before, Snapshot after, long calls, int callerTid) {
      this.calls += calls;
      long liveUser = 0;
      long liveSystem = 0;
      for (Map.Entry<Integer, Task> entry : after.tasks().entrySet()) {
        Task now = entry.getValue();
        Task then = before.tasks().get(entry.getKey());
        long user = now.userTicks() - (then == null ? 0 : then.userTicks());
        long system = now.systemTicks() - (then == null ? 0 : then.systemTicks());
        liveUser += user;
        liveSystem += system;
        groups
            .get(Group.of(now.name(), entry.getKey() == callerTid))
            .add(
                user,
                system,
                now.runNanos() - (then == null ? 0 : then.runNanos()),
                now.voluntary() - (then == null ? 0 : then.voluntary()),
                now.involuntary() - (then == null ? 0 : then.involuntary()));
      }
      long processUser = after.processUserTicks() - before.processUserTicks();
      long processSystem = after.processSystemTicks() - before.processSystemTicks();
      processUserTicks += processUser;
      processSystemTicks += processSystem;
      // Threads alive before and gone after: their last ticks are only in the process's total.
      groups
          .get(Group.ENDED)
          .add(
              Math.max(0, processUser - liveUser),
              Math.max(0, processSystem - liveSystem),
              0,
              0,
              0);
      collections += after.collections() - before.collections();
      collectionMillis += after.collectionMillis() - before.collectionMillis();
      compilationMillis += after.compilationMillis() - before.compilationMillis();
    }

    /** What {@code group} cost. */
    Cost cost(Group group) {
      return groups.get(group);
    }

    /** {@code ticks} of CPU time as microseconds per call. */
    double microsPerCall(long ticks) {
      return calls == 0 ? Double.NaN : ticks * (1e6 / TICKS_PER_SECOND) / calls;
    }

    /** A count per call. */
    double perCall(long count) {
      return calls == 0 ? Double.NaN : (double) count / calls;
    }
  }

  private CpuHarnessThreads() {}

  /** Whether this system has {@code /proc/self/task} to read. */
  static boolean available() {
    return Files.isDirectory(TASKS);
  }

  /** The Linux id of the calling thread ({@code /proc/thread-self}), or -1 off Linux. */
  static int currentTid() {
    try {
      return Integer.parseInt(
          Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString());
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** The counters of every live thread of this process, of the process, of GC and of the JIT. */
  static Snapshot snapshot() {
    Map<Integer, Task> tasks = new HashMap<>();
    long[] process = {0, 0};
    if (available()) {
      try (DirectoryStream<Path> dirs = Files.newDirectoryStream(TASKS)) {
        for (Path dir : dirs) {
          Task task = task(dir);
          if (task != null) {
            tasks.put(Integer.parseInt(dir.getFileName().toString()), task);
          }
        }
        process = ticks(Files.readString(PROCESS_STAT));
      } catch (IOException e) {
        throw new IllegalStateException("cannot read " + TASKS, e);
      }
    }
    long collections = 0;
    long collectionMillis = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      collections += Math.max(0, gc.getCollectionCount());
      collectionMillis += Math.max(0, gc.getCollectionTime());
    }
    long compilation =
        ManagementFactory.getCompilationMXBean().isCompilationTimeMonitoringSupported()
            ? ManagementFactory.getCompilationMXBean().getTotalCompilationTime()
            : 0;
    return new Snapshot(tasks, process[0], process[1], collections, collectionMillis, compilation);
  }

  /** A thread's counters, or null when it ended while being read. */
  private static Task task(Path dir) {
    try {
      String stat = Files.readString(dir.resolve("stat"));
      String schedstat = Files.readString(dir.resolve("schedstat"));
      String status = Files.readString(dir.resolve("status"));
      long[] ticks = ticks(stat);
      return new Task(
          name(stat),
          ticks[0],
          ticks[1],
          Long.parseLong(schedstat.substring(0, schedstat.indexOf(' '))),
          field(status, "voluntary_ctxt_switches:"),
          field(status, "nonvoluntary_ctxt_switches:"));
    } catch (IOException e) {
      return null;
    }
  }

  /** The name in a {@code stat} line: between the first '(' and the last ')'. */
  static String name(String stat) {
    return stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  }

  /**
   * {@code utime} and {@code stime} of a {@code stat} line (fields 14 and 15; the name, field 2,
   * may hold spaces and parentheses, so fields are counted from after its last ')').
   */
  static long[] ticks(String stat) {
    String[] rest = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
    // rest[0] is field 3 (state), so field 14 is rest[11] and field 15 rest[12]
    return new long[] {Long.parseLong(rest[11]), Long.parseLong(rest[12])};
  }

  /** A numeric field of a {@code status} file, such as {@code voluntary_ctxt_switches:}. */
  static long field(String status, String key) {
    int at = status.indexOf(key);
    if (at < 0) {
      return 0;
    }
    int start = at + key.length();
    int end = status.indexOf('\n', start);
    return Long.parseLong(status.substring(start, end < 0 ? status.length() : end).trim());
  }

  /** Formats a group's line of a table: plain, wrapped and the difference per call. */
  static String line(String label, double plain, double wrapped, String unit) {
    return String.format(
        Locale.ROOT,
        "  %-34s plain %8.2f%s  wrapped %8.2f%s  added %+8.2f%s",
        label,
        plain,
        unit,
        wrapped,
        unit,
        wrapped - plain,
        unit);
  }
}
