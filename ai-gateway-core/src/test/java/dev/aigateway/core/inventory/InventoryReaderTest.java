package dev.aigateway.core.inventory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.spi.CounterId;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.limit.InMemoryTokenLimitStore;
import dev.aigateway.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class InventoryReaderTest {

  @Test
  void urlsLoseUserInformationFragmentsAndQueryValues() {
    assertThat(
            GatewayInventory.urlWithoutSecrets(
                "https://user:pa55@east.example.com:8443/openai/v1?api-key=k3y&sig=abc#frag"))
        .isEqualTo("https://east.example.com:8443/openai/v1?api-key=***&sig=***");
    assertThat(GatewayInventory.urlWithoutSecrets("https://api.openai.com"))
        .isEqualTo("https://api.openai.com");
    assertThat(GatewayInventory.urlWithoutSecrets("http://localhost:11434/v1?flag"))
        .isEqualTo("http://localhost:11434/v1?***");
  }

  @Test
  void peekingTheInMemoryStoreCreatesNoCounter() {
    InMemoryTokenLimitStore store =
        new InMemoryTokenLimitStore(
            new ManualClock(Instant.parse("2026-06-01T10:00:00Z")), Duration.ofMinutes(1));
    LimitSpec rate = LimitSpec.rate("r", 100, Duration.ofMinutes(1));
    LimitSpec quota = LimitSpec.quota("q", 100, QuotaPeriod.DAILY, ZoneOffset.UTC);
    LimitSpec inFlight = LimitSpec.inFlight("f", 2);

    store.peek(
        List.of(
            new CounterId(rate, "alice"),
            new CounterId(quota, "alice"),
            new CounterId(inFlight, "alice")));

    assertThat(store.size()).isZero();
  }

  @Test
  void aGatewayWithNothingConfiguredHasAnEmptyInventoryWithItsReservedSections() {
    AiGateway gateway =
        AiGateway.builder().clock(new ManualClock(Instant.parse("2026-06-01T10:00:00Z"))).build();

    GatewayInventory inventory = gateway.inventory();

    assertThat(inventory.pools()).isEmpty();
    assertThat(inventory.models()).isEmpty();
    assertThat(inventory.consumers().entries()).isEmpty();
    assertThat(inventory.access()).isNull();
    assertThat(inventory.anomalies()).isNull();
    assertThat(inventory.caches()).isNull();
    assertThat(inventory.contentSafety()).isNull();
    assertThat(inventory.toJson())
        .isEqualTo(
            "{\"generatedAt\":\"2026-06-01T10:00:00Z\",\"tokenStore\":\"InMemoryTokenLimitStore\","
                + "\"pools\":[],\"models\":[],\"limits\":[],\"consumers\":{\"tracked\":0,"
                + "\"listed\":0,\"usage\":\"INCLUDED\",\"usageProblem\":null,\"entries\":[]},"
                + "\"access\":null,\"anomalies\":null,\"caches\":null,\"contentSafety\":null,"
                + "\"mcpServers\":[],\"agents\":[]}");
  }

  /** A section with the given key (read on every call) and value. */
  private static InventorySection section(
      java.util.function.Supplier<String> key, @Nullable Object value) {
    return new InventorySection() {
      @Override
      public String key() {
        return key.get();
      }

      @Override
      public @Nullable Object read(InventoryOptions options) {
        return value;
      }

      @Override
      public String toString() {
        return "TestSection";
      }
    };
  }

  /** A key that is valid when registered and fails on later reads, as a reloaded one may. */
  private static java.util.function.Supplier<String> validOnce(
      String key, java.util.function.Supplier<String> later) {
    AtomicInteger reads = new AtomicInteger();
    return () -> reads.getAndIncrement() == 0 ? key : later.get();
  }

  @Test
  void aSectionWhoseKeyIsNullOrFailsIsReportedAsFailedAndHidesNoOtherSection() {
    String type = section(() -> "any", null).getClass().getName(); // the failed ones' type
    AiGateway gateway =
        AiGateway.builder()
            .clock(new ManualClock(Instant.parse("2026-06-01T10:00:00Z")))
            .inventorySection(section(() -> "before", List.of("kept")))
            .inventorySection(section(validOnce("nulled", () -> null), List.of("lost")))
            .inventorySection(
                section(
                    validOnce(
                        "failing",
                        () -> {
                          throw new IllegalStateException("configuration reloading");
                        }),
                    List.of("lost")))
            .inventorySection(section(validOnce("builtIn", () -> "pools"), List.of("lost")))
            .inventorySection(section(() -> "after", List.of("kept")))
            .inventorySection(section(() -> type + "#2", List.of("kept too")))
            .build();

    GatewayInventory inventory = gateway.inventory();

    assertThat(inventory.sections()).containsEntry("before", List.of("kept"));
    assertThat(inventory.sections()).containsEntry("after", List.of("kept"));
    assertThat(inventory.sections().values())
        .filteredOn(v -> v instanceof GatewayInventory.SectionError)
        .extracting(v -> ((GatewayInventory.SectionError) v).error())
        .containsExactly(
            "java.lang.NullPointerException",
            "java.lang.IllegalStateException",
            "java.lang.IllegalArgumentException");
    assertThat(inventory.sections().keySet()) // a usable key is never taken by a failed section
        .containsExactly(
            "mcpServers", "agents", "before", type, type + "#3", type + "#4", "after", type + "#2");
    assertThat(inventory.sections()).containsEntry(type + "#2", List.of("kept too"));
    assertThat(inventory.toJson()).doesNotContain("lost").doesNotContain("configuration reloading");
  }

  @Test
  void aSectionValueThatHoldsItselfOrNestsWithoutEndFailsThatSectionAlone() throws Exception {
    Map<String, Object> selfish = new HashMap<>();
    selfish.put("me", selfish);
    List<Object> outer = new ArrayList<>();
    List<Object> inner = new ArrayList<>();
    outer.add(inner);
    inner.add(Map.of("back", outer));
    record Node(String name, List<Object> children) {}
    List<Object> children = new ArrayList<>();
    Node node = new Node("root", children);
    children.add(node);
    Object deep = "leaf";
    for (int i = 0; i < 10_000; i++) {
      deep = List.of(deep);
    }
    AiGateway gateway =
        AiGateway.builder()
            .clock(new ManualClock(Instant.parse("2026-06-01T10:00:00Z")))
            .inventorySection(section(() -> "map", selfish))
            .inventorySection(section(() -> "lists", outer))
            .inventorySection(section(() -> "record", node))
            .inventorySection(section(() -> "deep", deep))
            .inventorySection(section(() -> "fine", Map.of("same", List.of(1, 1), "again", "x")))
            .build();

    // Read where an application may read it: on a thread with a modest stack (-Xss256k, or deep in
    // a web framework's frames).
    AtomicReference<Object> read = new AtomicReference<>();
    Thread reader =
        new Thread(
            null,
            () -> {
              try {
                read.set(gateway.inventory());
              } catch (Throwable t) {
                read.set(t);
              }
            },
            "inventory-reader",
            256 * 1024);
    reader.start();
    reader.join();

    assertThat(read.get()).isInstanceOf(GatewayInventory.class);
    GatewayInventory inventory = (GatewayInventory) read.get();
    for (String key : List.of("map", "lists", "record", "deep")) {
      assertThat(inventory.sections().get(key))
          .as(key)
          .isEqualTo(new GatewayInventory.SectionError("java.lang.IllegalArgumentException"));
    }
    assertThat(inventory.toJson()).contains("\"fine\":{");
  }

  @Test
  void theDocumentIsTheSectionsAsReadNotAsTheyAreLater() {
    List<Object> live = new ArrayList<>(List.of("tool-a"));
    AiGateway gateway =
        AiGateway.builder()
            .clock(new ManualClock(Instant.parse("2026-06-01T10:00:00Z")))
            .inventorySection(section(() -> "tools", live))
            .build();
    GatewayInventory inventory = gateway.inventory();
    String json = inventory.toJson();

    live.add("tool-b"); // the section's own state moves on
    live.add(new Object()); // even to something that could not be written

    assertThat(inventory.toJson()).isEqualTo(json).contains("\"tools\":[\"tool-a\"]");
    assertThat(inventory.toPrettyJson()).contains("\"tool-a\"").doesNotContain("tool-b");
  }
}
