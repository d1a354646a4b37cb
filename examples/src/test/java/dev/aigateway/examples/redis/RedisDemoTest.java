package dev.aigateway.examples.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Runs the scale-out demo once: three JVMs on a real redis-server (about 20 s, most of it starting
 * the JVMs and the demo's own timeline).
 */
class RedisDemoTest {

  private static RedisDemo.Outcome outcome;
  private static String output;

  @BeforeAll
  static void runDemo() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    outcome = RedisDemo.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    output = bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void everyInstanceCalledAndTheSharedLimitNeverAdmittedMoreThanItAllows() {
    assertThat(outcome.instances()).hasSize(RedisDemoWorker.INSTANCES);
    outcome.instances().values().forEach(counts -> assertThat(counts.get("calls")).isPositive());
    assertThat(outcome.total("sharedTokens"))
        .isPositive()
        .isLessThanOrEqualTo(outcome.allowedTokens());
    // the instances together asked for more than the limit: it is what refused them
    assertThat(outcome.total("rejected")).isPositive();
    assertThat(output).contains("never over");
  }

  @Test
  void whileRedisWasAwayCallsWereCountedOnTheLocalShares() {
    assertThat(outcome.total("fallbackCalls")).isPositive();
    assertThat(output).contains("is failing");
  }

  @Test
  void theCacheAndTheBackendsHealthAreShared() {
    assertThat(outcome.total("cacheHits")).isPositive();
    // after the primary's 429, the instances' calls went to the secondary
    assertThat(outcome.total("secondary")).isPositive();
  }
}
