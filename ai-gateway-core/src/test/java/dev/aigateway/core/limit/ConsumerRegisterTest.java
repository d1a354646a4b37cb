package dev.aigateway.core.limit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The register of consumers the limits counted: what the gateway's inventory reads. */
class ConsumerRegisterTest {

  @Test
  void aConsumerSeenAgainKeepsItsEntryAndMovesItsLastSeen() {
    ConsumerRegister register = new ConsumerRegister(100);

    register.saw("alice", "per-consumer", "alice", 1_000);
    register.saw("bob", "per-consumer", "bob", 2_000);
    register.saw("alice", "per-consumer", "alice", 3_000);

    List<SeenConsumer> latest = register.latest(10);
    assertThat(latest)
        .extracting(SeenConsumer::consumer, SeenConsumer::lastSeen)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("alice", Instant.ofEpochMilli(3_000)),
            org.assertj.core.groups.Tuple.tuple("bob", Instant.ofEpochMilli(2_000)));
    assertThat(latest.get(0).counterKeys()).containsExactly(Map.entry("per-consumer", "alice"));
    assertThat(register.size()).isEqualTo(2);
  }

  @Test
  void aChangedCounterKeyReplacesTheEntry() {
    ConsumerRegister register = new ConsumerRegister(100);

    register.saw("alice", "per-team", "team-a", 1_000);
    register.saw("alice", "per-team", "team-b", 2_000);

    assertThat(register.latest(10)).hasSize(1);
    assertThat(register.latest(10).get(0).counterKeys())
        .containsExactly(Map.entry("per-team", "team-b"));
  }

  @Test
  void aConsumersCounterKeysAreOneMapWhileItsKeyStaysAndTheEventKeepsIt() {
    ConsumerRegister register = new ConsumerRegister(100);

    Map<String, String> alice = register.saw("alice", "per-team", "team-a", 1_000);
    Map<String, String> bob = register.saw("bob", "per-team", "team-b", 1_000);
    Map<String, String> aliceAgain = register.saw("alice", "per-team", "team-a", 2_000);
    Map<String, String> aliceMoved = register.saw("alice", "per-team", "team-c", 3_000);

    assertThat(alice).containsExactly(Map.entry("per-team", "team-a"));
    assertThat(bob).containsExactly(Map.entry("per-team", "team-b"));
    // Calls of consumers in turn: each one's map serves all its calls, not one per call.
    assertThat(aliceAgain).isSameAs(alice);
    assertThat(aliceMoved).containsExactly(Map.entry("per-team", "team-c"));
    // The event's limits keep the map as it is (it cannot change), no copy per call.
    assertThat(
            new dev.aigateway.api.LimitsInfo(
                    aliceAgain, 0, 0, null, dev.aigateway.api.LimitOutcome.SETTLED)
                .counterKeys())
        .isSameAs(alice);
    assertThat(register.latest(10).get(0).counterKeys())
        .containsExactly(Map.entry("per-team", "team-c"));
  }

  @Test
  void severalLimitsKeepEveryKeyInOrder() {
    ConsumerRegister register = new ConsumerRegister(100);
    Map<String, String> keys = new LinkedHashMap<>();
    keys.put("per-consumer", "alice");
    keys.put("per-team", "team-a");

    register.saw("alice", keys, 1_000);
    keys.put("per-team", "team-b"); // the caller's map is copied, not kept
    register.saw("alice", Map.of("per-consumer", "alice", "per-team", "team-a"), 2_000);

    SeenConsumer seen = register.latest(10).get(0);
    assertThat(seen.counterKeys().values()).containsExactly("alice", "team-a");
    assertThat(seen.lastSeen()).isEqualTo(Instant.ofEpochMilli(2_000));
  }

  @Test
  void beyondItsBoundTheRegisterForgetsConsumers() {
    ConsumerRegister register = new ConsumerRegister(50);

    for (int i = 0; i < 500; i++) {
      register.saw("consumer-" + i, "per-consumer", "consumer-" + i, i);
    }

    assertThat(register.size()).isLessThanOrEqualTo(50);
    assertThat(register.latest(1_000)).hasSize((int) register.size());
  }

  @Test
  void latestGivesAtMostTheNumberAsked() {
    ConsumerRegister register = new ConsumerRegister(100);
    for (int i = 0; i < 5; i++) {
      register.saw("c" + i, "per-consumer", "c" + i, 10 * i);
    }

    assertThat(register.latest(2)).extracting(SeenConsumer::consumer).containsExactly("c4", "c3");
  }
}
