package dev.aigateway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reading Linux's per-thread accounting: the files' formats, the groups, and a measured span. */
class CpuHarnessThreadsTest {

  @Test
  void aStatLineIsReadAfterItsNameWhateverTheNameHolds() {
    // fields: pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
    // utime
    String stat = "4242 (OkHttp (x) 1) S 1 2 3 0 -1 4194368 10 0 0 0 1234 567 0 0 20 0 30 0\n";

    assertThat(CpuHarnessThreads.name(stat)).isEqualTo("OkHttp (x) 1");
    assertThat(CpuHarnessThreads.ticks(stat)).containsExactly(1234L, 567L);
  }

  @Test
  void aStatusFieldIsItsNumber() {
    String status = "Name:\tjava\nvoluntary_ctxt_switches:\t17\nnonvoluntary_ctxt_switches:\t3\n";

    assertThat(CpuHarnessThreads.field(status, "voluntary_ctxt_switches:")).isEqualTo(17);
    assertThat(CpuHarnessThreads.field(status, "nonvoluntary_ctxt_switches:")).isEqualTo(3);
    assertThat(CpuHarnessThreads.field(status, "missing:")).isZero();
  }

  @Test
  void threadsAreGroupedByTheirNames() {
    Map<String, CpuHarnessThreads.Group> groups =
        Map.of(
            "OkHttp TaskRunn", CpuHarnessThreads.Group.OKHTTP,
            "Okio Watchdog", CpuHarnessThreads.Group.WATCHDOG,
            "C2 CompilerThre", CpuHarnessThreads.Group.COMPILER,
            "GC Thread#0", CpuHarnessThreads.Group.GC,
            "VM Thread", CpuHarnessThreads.Group.VM,
            "Finalizer", CpuHarnessThreads.Group.OTHER);
    groups.forEach(
        (name, group) -> assertThat(CpuHarnessThreads.Group.of(name, false)).isEqualTo(group));
    // the caller is told by its id, whatever its name
    assertThat(CpuHarnessThreads.Group.of("Okio Watchdog", true))
        .isEqualTo(CpuHarnessThreads.Group.CALLER);
  }

  @Test
  void aSpanChargesEachThreadsTimeToItsGroup() throws Exception {
    assumeTrue(CpuHarnessThreads.available(), "Linux only: /proc/self/task");
    int tid = CpuHarnessThreads.currentTid();
    assertThat(tid).isPositive();
    CpuHarnessThreads.Snapshot before = CpuHarnessThreads.snapshot();
    assertThat(before.tasks()).containsKey(tid);
    Thread okhttp = new Thread(() -> spin(60), "OkHttp TaskRunner");
    okhttp.start();
    spin(60);
    okhttp.join();
    CpuHarnessThreads.Snapshot after = CpuHarnessThreads.snapshot();
    CpuHarnessThreads.Tally tally = new CpuHarnessThreads.Tally();
    tally.add(before, after, 10, tid);

    assertThat(tally.calls).isEqualTo(10);
    CpuHarnessThreads.Cost caller = tally.groups.get(CpuHarnessThreads.Group.CALLER);
    // at least 60 ms of busy time on a CPU; ticks follow the scheduler's time on the CPU
    assertThat(caller.runNanos).isGreaterThanOrEqualTo(50_000_000L);
    assertThat(caller.userTicks + caller.systemTicks).isPositive();
    // the spinning thread ended before the second snapshot: only the process's total has it
    CpuHarnessThreads.Cost ended = tally.groups.get(CpuHarnessThreads.Group.ENDED);
    assertThat(ended.userTicks + ended.systemTicks).isPositive();
    assertThat(tally.processUserTicks + tally.processSystemTicks)
        .isGreaterThanOrEqualTo(caller.userTicks + caller.systemTicks);
    assertThat(tally.microsPerCall(1)).isEqualTo(1000.0); // one tick of 10 ms over 10 calls
  }

  private static void spin(long millis) {
    long cpu = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    long x = 0;
    while (ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpu
        < millis * 1_000_000) {
      x += System.nanoTime() & 1;
    }
    if (x < 0) {
      throw new AssertionError();
    }
  }
}
