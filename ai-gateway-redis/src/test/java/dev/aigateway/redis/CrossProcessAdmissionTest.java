package dev.aigateway.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.testing.RedisServer;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Four gateway JVMs (each with 16 threads and its own JVM time zone) share one consumer quota on a
 * real redis-server: together they never hold more than it, and after settlement Redis counts
 * exactly the actual amounts they reported.
 */
class CrossProcessAdmissionTest {

  private static final int PROCESSES = 4;
  private static final int THREADS = 16;
  private static final long CAPACITY = 400_000;
  private static final List<String> ZONES =
      List.of("UTC", "Asia/Kolkata", "America/New_York", "Pacific/Chatham");

  @Test
  void fourJvmsNeverAdmitMoreThanTheSharedLimitAndSettleExactly() throws Exception {
    try (RedisServer redis = RedisServer.start()) {
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      long startAt = System.currentTimeMillis() + 3_000; // every JVM up and connected by then
      List<Process> processes = new ArrayList<>();
      try {
        for (int p = 0; p < PROCESSES; p++) {
          ProcessBuilder builder =
              new ProcessBuilder(
                  java,
                  "-Duser.timezone=" + ZONES.get(p),
                  "-Xshare:auto",
                  "-XX:TieredStopAtLevel=1",
                  "-cp",
                  System.getProperty("java.class.path"),
                  LimitWorker.class.getName(),
                  redis.uri(),
                  "xproc:",
                  Integer.toString(THREADS),
                  Integer.toString(p + 1),
                  Long.toString(CAPACITY),
                  Long.toString(startAt));
          builder.redirectError(
              new File(System.getProperty("java.io.tmpdir"), "limit-worker-" + p + ".err"));
          processes.add(builder.start());
        }
        long admissions = 0;
        long reserved = 0;
        List<BufferedReader> outputs = new ArrayList<>();
        for (Process process : processes) {
          BufferedReader out =
              new BufferedReader(
                  new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
          outputs.add(out);
          String[] line = readLine(out, process, "RESERVED");
          admissions += Long.parseLong(line[1]);
          reserved += Long.parseLong(line[2]);
        }

        assertThat(reserved)
            .as("units held by %s admissions", admissions)
            .isLessThanOrEqualTo(CAPACITY);
        assertThat(reserved).as("spent to within one prompt").isGreaterThan(CAPACITY - 4_000);

        for (Process process : processes) {
          Writer in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
          in.write("SETTLE\n");
          in.flush();
        }
        long actual = 0;
        for (int p = 0; p < PROCESSES; p++) {
          String[] line = readLine(outputs.get(p), processes.get(p), "SETTLED");
          actual += Long.parseLong(line[1]);
          assertThat(line[2]).as("settlements left queued").isEqualTo("0");
        }
        for (Process process : processes) {
          assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
          assertThat(process.exitValue()).isZero();
        }

        try (RedisConnection connection =
                RedisConnection.builder()
                    .uri(redis.uri())
                    .keyPrefix("xproc:")
                    .commandTimeout(Duration.ofSeconds(5))
                    .build();
            RedisTokenLimitStore store = RedisTokenLimitStore.builder(connection).build()) {
          LimitSpec limit = LimitWorker.quota(CAPACITY);
          ReserveResult probe = store.reserve(List.of(new LimitCharge(limit, "consumer-1", 0)));
          assertThat(probe.remaining()).containsExactly(CAPACITY - actual);
        }
      } finally {
        for (Process process : processes) {
          process.destroyForcibly();
        }
      }
    }
  }

  private static String[] readLine(BufferedReader out, Process process, String tag)
      throws Exception {
    String line = out.readLine();
    assertThat(line)
        .as(
            "worker %s output (exit %s)",
            process.pid(), process.isAlive() ? "-" : process.exitValue())
        .startsWith(tag + " ");
    return line.split(" ");
  }
}
