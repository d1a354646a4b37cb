package dev.aigateway.core.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TrafficSplitTest {

  /**
   * A share below the split's step (0.01 %) would round to no consumer at all: the variant would
   * silently get no traffic, so it is refused at build time, naming the step.
   */
  @Test
  void aShareTooSmallToReachAnyConsumerIsRefused() {
    assertThatThrownBy(() -> TrafficSplit.forModel("gpt-4o").send(0.004, "gpt-4.1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0.004")
        .hasMessageContaining("0.01");
  }

  /** The smallest share that rounds to one step reaches about one consumer in ten thousand. */
  @Test
  void theSmallestShareReachesSomeConsumers() {
    TrafficSplit split = TrafficSplit.forModel("gpt-4o").send(0.005, "gpt-4.1").build();
    int variant = 0;
    for (int i = 0; i < 200_000; i++) {
      if (split.variantFor("consumer-" + i) != null) {
        variant++;
      }
    }
    assertThat(variant).isBetween(5, 60); // about 20 of 200,000
  }

  /**
   * The bucket of a consumer is what it always was (FNV-1a over the UTF-8 bytes of the model, a NUL
   * and the consumer, mixed): the same consumers land in the same variants, whatever their keys
   * hold (non-ASCII text, supplementary characters, unpaired surrogates, NULs).
   */
  @Test
  void aConsumersBucketIsUnchangedForFixedKeys() {
    String[][] cases = {
      {"gpt-4o", "", "7672"},
      {"gpt-4o", "team-a", "6648"},
      {"gpt-4o", "consumer-42", "7560"},
      {"gpt-4o", "alice@example.com", "6257"},
      {"gpt-4o", "caf\u00e9", "7321"},
      {"gpt-4o", "\u65e5\u672c\u30c1\u30fc\u30e0", "6111"},
      {"gpt-4o", "team-\ud83d\ude80", "6437"},
      {"gpt-4o", "lone-\ud83d", "9169"},
      {"gpt-4o", "\ude80-lone", "132"},
      {"gpt-4o", "\ud83d\ud83d\ude80", "7675"},
      {"gpt-4o", "nul\u0000inside", "9430"},
      {"mod\u00e8le-\ud83d", "x", "5876"},
      {"\u65e5\u672c", "\u00ff\u0800\uffff", "3716"},
      {"gpt-4o", "\u007f\u0080\u07ff", "1726"},
    };
    for (String[] c : cases) {
      assertThat(TrafficSplit.bucketOf(c[0], c[1])).as(c[1]).isEqualTo(Integer.parseInt(c[2]));
    }
    TrafficSplit split =
        TrafficSplit.forModel("gpt-4o").send(20, "gpt-4.1").send(30, "gpt-5").build();
    Random random = new Random(17);
    for (int i = 0; i < 20_000; i++) {
      char[] key = new char[random.nextInt(12)];
      for (int j = 0; j < key.length; j++) {
        key[j] = (char) (random.nextBoolean() ? random.nextInt(0x80) : random.nextInt(0x10000));
      }
      String consumer = new String(key);
      int bucket = bucketAsBefore("gpt-4o", consumer);
      assertThat(TrafficSplit.bucketOf("gpt-4o", consumer)).isEqualTo(bucket);
      assertThat(split.variantFor(consumer))
          .isEqualTo(bucket < 2_000 ? "gpt-4.1" : bucket < 5_000 ? "gpt-5" : null);
    }
  }

  /** The bucket as the split first computed it: over the encoded bytes of one built string. */
  private static int bucketAsBefore(String model, String consumer) {
    long h = 0xcbf29ce484222325L;
    for (byte b : (model + '\u0000' + consumer).getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return (int) Long.remainderUnsigned(h, 10_000);
  }

  /** Picking a consumer's variant allocates nothing: it runs for every call of a split model. */
  @Test
  void aVariantIsPickedWithoutAllocating() {
    TrafficSplit split = TrafficSplit.forModel("gpt-4o").send(10, "gpt-4.1").build();
    String[] consumers = new String[64];
    for (int i = 0; i < consumers.length; i++) {
      consumers[i] = "consumer-" + i + "-caf\u00e9";
    }
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    int variants = 0;
    for (int i = 0; i < 200_000; i++) { // warm up
      variants += split.variantFor(consumers[i & 63]) != null ? 1 : 0;
    }
    long before = threads.getThreadAllocatedBytes(thread);
    for (int i = 0; i < 100_000; i++) {
      variants += split.variantFor(consumers[i & 63]) != null ? 1 : 0;
    }
    long allocated = threads.getThreadAllocatedBytes(thread) - before;
    assertThat(variants).isPositive();
    assertThat(allocated).isLessThan(100_000); // under a byte a call (a string and its bytes: ~170)
  }
}
