package dev.aigateway.benchmarks;

import com.sun.management.ThreadMXBean;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.limit.InMemoryTokenLimitStore;
import dev.aigateway.okhttp.OkHttpAiGateway;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import okhttp3.OkHttpClient;
import okhttp3.Request;

/**
 * The bytes a governed call allocates for its limits, in process and exactly: the same calls
 * ({@link Workload#shortChat}, JSON and streamed) through a plain client and through the gateway
 * with only a listener, with {@link Workload}'s limit (a rate and a monthly quota per consumer)
 * without estimating the prompt, and with it (the harnesses' gateway), all against {@link
 * CannedBackend}; and a reservation and its settlement on the in-memory store alone (two charges).
 * Each case runs its warm-up calls, then its measured calls by the calling thread's allocated
 * bytes, which load on the machine does not change (the JIT's escape analysis may still move a few
 * dozen bytes between runs).
 *
 * <p>Run: {@code java -Xms1g -Xmx1g -XX:+UseSerialGC -cp benchmarks/target/benchmarks.jar
 * dev.aigateway.benchmarks.LimitAllocation [warm-up calls=200000] [measured calls=100000]}.
 */
public final class LimitAllocation {

  private static final String URL = "http://127.0.0.1:8080" + Workload.CHAT_PATH;

  private LimitAllocation() {}

  /** Prints the bytes per call of each case, and what the limits add. */
  public static void main(String[] args) throws IOException {
    int warmUp = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    int measured = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
    Map<String, Double> bytes = measure(warmUp, measured);
    bytes.forEach((name, b) -> System.out.printf(Locale.ROOT, "%-34s %8.1f B/call%n", name, b));
    for (String kind : new String[] {"json", "stream"}) {
      System.out.printf(
          Locale.ROOT,
          "%s: the gateway adds %.1f B/call, its limits %.1f B/call%n",
          kind,
          bytes.get("limits, estimate " + kind) - bytes.get("plain " + kind),
          bytes.get("limits, estimate " + kind) - bytes.get("listener only " + kind));
    }
  }

  /**
   * The bytes per call of each case, by case, in order.
   *
   * @throws IllegalStateException when a governed call produced no event or more than one
   */
  static Map<String, Double> measure(int warmUp, int measured) throws IOException {
    LongAdder events = new LongAdder();
    OkHttpClient base = new OkHttpClient();
    CannedBackend backend = new CannedBackend();
    AiGateway listenerOnly =
        AiGateway.builder()
            .consumerKey(KeyResolvers.header(Workload.CONSUMER_HEADER))
            .listener(event -> events.increment())
            .build();
    Map<String, OkHttpClient> clients = new LinkedHashMap<>();
    clients.put("plain", Workload.withBackend(base, backend));
    clients.put(
        "listener only", Workload.withBackend(OkHttpAiGateway.wrap(base, listenerOnly), backend));
    clients.put(
        "limits, no estimate",
        Workload.withBackend(
            OkHttpAiGateway.wrap(base, Workload.gateway(false, event -> events.increment())),
            backend));
    clients.put(
        "limits, estimate",
        Workload.withBackend(
            OkHttpAiGateway.wrap(base, Workload.gateway(true, event -> events.increment())),
            backend));
    Request json = Workload.post(URL, Workload.shortChat(false), "team-0");
    Request stream = Workload.post(URL, Workload.shortChat(true), "team-0");
    Map<String, Double> bytes = new LinkedHashMap<>();
    long governed = 0;
    for (Map.Entry<String, OkHttpClient> client : clients.entrySet()) {
      for (boolean streamed : new boolean[] {false, true}) {
        Request request = streamed ? stream : json;
        OkHttpClient c = client.getValue();
        bytes.put(
            client.getKey() + (streamed ? " stream" : " json"),
            bytesPerCall(() -> Workload.call(c, request), warmUp, measured));
        governed += client.getKey().equals("plain") ? 0 : warmUp + measured;
      }
    }
    base.connectionPool().evictAll();
    if (events.sum() != governed) {
      throw new IllegalStateException(governed + " governed calls but " + events.sum() + " events");
    }
    bytes.put("store reserve + settle", storeBytesPerCall(warmUp, measured));
    return bytes;
  }

  /** A reservation of a rate and a quota on the in-memory store, and its settlement. */
  private static double storeBytesPerCall(int warmUp, int measured) throws IOException {
    InMemoryTokenLimitStore store = new InMemoryTokenLimitStore();
    LimitSpec rate = LimitSpec.rate("rate", Workload.TOKENS_PER_MINUTE, Duration.ofMinutes(1));
    LimitSpec quota =
        LimitSpec.quota("quota", Workload.MONTHLY_QUOTA, QuotaPeriod.MONTHLY, ZoneOffset.UTC);
    return bytesPerCall(
        () -> {
          ReserveResult result =
              store.reserve(
                  List.of(
                      new LimitCharge(rate, "team-0", 90), new LimitCharge(quota, "team-0", 90)));
          store.settle(result.reservation(), new long[] {45, 45});
          return 1;
        },
        warmUp,
        measured);
  }

  /** One call of a case. */
  private interface Call {
    long run() throws IOException;
  }

  private static double bytesPerCall(Call call, int warmUp, int measured) throws IOException {
    for (int i = 0; i < warmUp; i++) {
      call.run();
    }
    ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    long before = threads.getThreadAllocatedBytes(thread);
    for (int i = 0; i < measured; i++) {
      call.run();
    }
    return (threads.getThreadAllocatedBytes(thread) - before) / (double) measured;
  }
}
