package dev.aigateway.okhttp;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.GatewayListener;
import dev.aigateway.api.KeyResolvers;
import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.Usage;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.Reservation;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.api.spi.TokenLimitStore;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.cache.ResponseCache;
import dev.aigateway.core.limit.InMemoryTokenLimitStore;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.routing.Backend;
import dev.aigateway.core.routing.BackendPool;
import dev.aigateway.core.routing.CircuitBreakerPolicy;
import dev.aigateway.core.routing.Failover;
import dev.aigateway.testing.ManualClock;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.ForwardingSource;
import okio.Okio;
import okio.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Malformed and extreme traffic ({@link HostileTraffic}: seeded, deterministic) through real
 * wrapped {@link OkHttpClient}s with token limits configured: one plain, one that throws on
 * rejection and caches answers, one routing through a backend pool. The backend answers in process
 * (an application interceptor after the gateway's, which plays the network: reads of any size, cut
 * connections), or, one case in {@value #NETWORK_EVERY}, over MockWebServer. One run of 2,000 calls
 * is shared by the tests, each of which checks one invariant of every call in it; a failure names
 * the case, its request and its answer.
 *
 * <p>The suite runs seed {@code 0x5EED}. A longer hunt runs other seeds and more calls: {@code
 * -Dhostile.seed=<long, or 0x hex> -Dhostile.cases=<calls>} (a failure names the seed to run
 * again).
 */
class HostileTrafficTest extends HostileInvariantTests {

  private static final long SEED = Long.decode(System.getProperty("hostile.seed", "0x5EED"));
  private static final int CASES = Integer.parseInt(System.getProperty("hostile.cases", "2000"));

  /** One case in this many goes through MockWebServer; the others to the in-process backend. */
  private static final int NETWORK_EVERY = 8;

  /** The gateway with a response cache, whose calls now and then repeat one before them. */
  private static final int CACHING = 1;

  private static final String CONSUMER = "x-consumer-id";
  private static final String[] CONSUMERS = {"team-a", "team-b", "team-c", "team-d", "small"};

  /** Limits no call exhausts, so that each counter holds capacity minus what was settled. */
  private static final TokenLimit.Builder WIDE_RATE =
      TokenLimit.perConsumer().tokensPer(4_000_000_000_000_000_000L, Duration.ofDays(100_000));

  private static final TokenLimit.Builder WIDE_QUOTA =
      TokenLimit.global().quota(Long.MAX_VALUE / 2, QuotaPeriod.MONTHLY);

  /** A limit that the consumer {@code small} soon spends: rejections and overdrafts. */
  private static final TokenLimit.Builder SMALL =
      TokenLimit.perConsumer()
          .name("small")
          .tokensPerMinute(50_000)
          .quota(200_000, QuotaPeriod.DAILY)
          .onlyFor("small");

  private static MockWebServer server;
  private static HostileCases run;

  @BeforeAll
  static void runHostileTraffic() throws Exception {
    Answers answers = new Answers();
    server = startServer(answers);
    run = traffic(answers);
  }

  /** A started server that answers as {@code answers} says, with no Nagle delay on its sockets. */
  static MockWebServer startServer(Answers answers) throws IOException {
    MockWebServer server = new MockWebServer();
    server.setServerSocketFactory(new NoDelayServerSockets());
    server.setDispatcher(answers.dispatcher());
    server.start();
    return server;
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @Override
  HostileCases cases() {
    return run;
  }

  private static HostileCases traffic(Answers answers) throws Exception {
    ManualClock clock = ManualClock.at("2026-06-15T12:00:00Z");
    AccountingStore store =
        new AccountingStore(new InMemoryTokenLimitStore(clock, Duration.ofDays(365)));
    EventsPerCall[] events = {new EventsPerCall(), new EventsPerCall(), new EventsPerCall()};
    List<TokenLimit> limits = limits();
    OkHttpClient plain =
        new OkHttpClient.Builder()
            .readTimeout(1, TimeUnit.SECONDS)
            .retryOnConnectionFailure(false)
            .socketFactory(new NoDelaySockets())
            .build();
    OkHttpClient[] wrapped = {
      OkHttpAiGateway.wrap(plain, gateway(clock, store, events[0], limits).build()),
      OkHttpAiGateway.wrap(
          plain,
          gateway(clock, store, events[1], limits)
              .throwOnRejection(true)
              .injectStreamUsage(false)
              .maxObservedBodyBytes(4096)
              .responseCache(ResponseCache.builder())
              .build()),
      OkHttpAiGateway.wrap(
          plain, gateway(clock, store, events[2], limits).backendPool(pool()).build())
    };
    // Per gateway: through the in-process backend (most cases: fast), or through the network.
    OkHttpClient[][] clients = new OkHttpClient[wrapped.length][];
    for (int g = 0; g < wrapped.length; g++) {
      clients[g] =
          new OkHttpClient[] {wrapped[g].newBuilder().addInterceptor(answers).build(), wrapped[g]};
    }
    HostileTraffic traffic = new HostileTraffic(SEED);
    HostileCases cases = new HostileCases(store, null);
    String cachedPath = null;
    String cachedConsumer = null;
    byte[] cached = null;
    for (int i = 0; i < CASES; i++) {
      int gateway = traffic.random().nextInt(wrapped.length);
      String path = traffic.path();
      byte[] body = traffic.request();
      String consumer = CONSUMERS[traffic.random().nextInt(CONSUMERS.length)];
      if (gateway == CACHING && cached != null && traffic.random().nextInt(3) == 0) {
        path = cachedPath; // asked again, as JSON or as a stream: answered from the cache
        body = traffic.random().nextBoolean() ? cached : withStreamFlipped(cached);
        consumer = cachedConsumer;
      } else if (gateway == CACHING) {
        cachedPath = path;
        cached = body;
        cachedConsumer = consumer;
      }
      HostileTraffic.Answer answer = traffic.answer(streamAsked(body), path.contains("responses"));
      answers.next = answer;
      int reading = traffic.random().nextInt(10);
      boolean network = traffic.random().nextInt(NETWORK_EVERY) == 0;
      String what =
          "seed 0x"
              + Long.toHexString(SEED)
              + ", case "
              + i
              + " ("
              + path
              + ", request "
              + preview(body)
              + ", answer "
              + answer.code()
              + " "
              + answer.contentType()
              + " "
              + preview(answer.body())
              + (answer.cutConnection() ? " cut" : "")
              + ", reading "
              + reading
              + (network ? ", network" : "")
              + ")";
      OkHttpClient client = clients[gateway][network ? 1 : 0];
      String asked = path;
      byte[] sent = body;
      String from = consumer;
      cases.exactlyOneEvent(
          what,
          events[gateway],
          () -> {
            call(client, asked, sent, from, reading);
            return null;
          });
    }
    cases.finish(List.of(events));
    return cases;
  }

  /**
   * Two backends, one renaming gpt-4o (so bodies are rewritten); breakers that never trip and no
   * failover, so that each call meets the answer its case chose, once.
   */
  private static BackendPool pool() {
    String base = server.url("/").toString();
    return BackendPool.builder()
        .backend(Backend.openAiCompatible("renaming", base).model("gpt-4o", "gpt-4o-2024-11-20"))
        .backend(Backend.openAiCompatible("any", base))
        .circuitBreaker(
            CircuitBreakerPolicy.builder()
                .failureStatuses(status -> false)
                .tripOnConnectionFailures(false)
                .build())
        .failover(Failover.disabled())
        .build();
  }

  /** The body with {@code "stream":true} and {@code "stream":false} swapped. */
  private static byte[] withStreamFlipped(byte[] body) {
    String text = new String(body, StandardCharsets.ISO_8859_1);
    String flipped =
        text.contains("\"stream\":true")
            ? text.replace("\"stream\":true", "\"stream\":false")
            : text.replace("\"stream\":false", "\"stream\":true");
    return flipped.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** Whether the application asked for a stream, as far as a glance at its bytes tells. */
  private static boolean streamAsked(byte[] body) {
    return new String(body, 0, Math.min(body.length, 100_000), StandardCharsets.ISO_8859_1)
        .contains("\"stream\":true");
  }

  /**
   * The run's limits: two no call exhausts (so that each counter holds capacity minus what was
   * settled) and one the consumer {@code small} soon spends.
   */
  static List<TokenLimit> limits() {
    return List.of(WIDE_RATE.build(), WIDE_QUOTA.build(), SMALL.build());
  }

  private static AiGateway.Builder gateway(
      ManualClock clock, TokenLimitStore store, GatewayListener listener, List<TokenLimit> limits) {
    AiGateway.Builder builder =
        AiGateway.builder()
            .clock(clock)
            .tokenLimitStore(store)
            .listener(listener)
            .consumerKey(KeyResolvers.header(CONSUMER));
    limits.forEach(builder::tokenLimit);
    return builder;
  }

  /** Makes one call as an application might, reading all, some or none of the answer. */
  private static void call(
      OkHttpClient client, String path, byte[] body, String consumer, int reading)
      throws IOException {
    Request request =
        new Request.Builder()
            .url(server.url(path))
            .header(CONSUMER, consumer)
            .post(RequestBody.create(body, MediaType.get("application/json")))
            .build();
    try (Response response = client.newCall(request).execute()) {
      InputStream in = response.body().byteStream();
      byte[] buffer = new byte[reading < 7 ? 8192 : 1 + reading * 10];
      if (reading == 9) {
        return; // closed unread
      }
      int n;
      do {
        n = in.read(buffer);
      } while (n >= 0 && reading < 7);
      // reading 7 and 8: one read, then closed
    }
  }

  static String preview(byte[] bytes) {
    String text =
        new String(bytes, 0, Math.min(bytes.length, 160), StandardCharsets.UTF_8)
            .replace("\n", "\\n")
            .replace("\r", "\\r");
    return "[" + bytes.length + " bytes] " + text;
  }

  /**
   * Server sockets whose connections send at once (TCP_NODELAY): MockWebServer writes a response in
   * several small writes, and with Nagle's algorithm each call waits some 40 ms for the client's
   * delayed acknowledgement.
   */
  static final class NoDelayServerSockets extends javax.net.ServerSocketFactory {
    @Override
    public java.net.ServerSocket createServerSocket() throws IOException {
      return new java.net.ServerSocket() {
        @Override
        public java.net.Socket accept() throws IOException {
          java.net.Socket socket = super.accept();
          socket.setTcpNoDelay(true);
          return socket;
        }
      };
    }

    @Override
    public java.net.ServerSocket createServerSocket(int port) {
      throw new UnsupportedOperationException();
    }

    @Override
    public java.net.ServerSocket createServerSocket(int port, int backlog) {
      throw new UnsupportedOperationException();
    }

    @Override
    public java.net.ServerSocket createServerSocket(
        int port, int backlog, java.net.InetAddress address) {
      throw new UnsupportedOperationException();
    }
  }

  /** Client sockets that send at once: OkHttp writes a large body in several writes. */
  static final class NoDelaySockets extends javax.net.SocketFactory {
    @Override
    public java.net.Socket createSocket() throws IOException {
      java.net.Socket socket = new java.net.Socket();
      socket.setTcpNoDelay(true);
      return socket;
    }

    @Override
    public java.net.Socket createSocket(String host, int port) {
      throw new UnsupportedOperationException();
    }

    @Override
    public java.net.Socket createSocket(
        String host, int port, java.net.InetAddress local, int localPort) {
      throw new UnsupportedOperationException();
    }

    @Override
    public java.net.Socket createSocket(java.net.InetAddress host, int port) {
      throw new UnsupportedOperationException();
    }

    @Override
    public java.net.Socket createSocket(
        java.net.InetAddress host, int port, java.net.InetAddress local, int localPort) {
      throw new UnsupportedOperationException();
    }
  }

  /**
   * The answer the current case chose, given by MockWebServer over the network, or in process by an
   * application interceptor placed after the gateway's (which plays the network).
   */
  static final class Answers implements Interceptor {
    volatile HostileTraffic.Answer next;

    @Override
    public Response intercept(Chain chain) throws IOException {
      HostileTraffic.Answer answer = next;
      RequestBody sent = chain.request().body();
      if (sent != null) {
        sent.writeTo(new Buffer()); // as the network would read it
      }
      Source source =
          new Pieces(
              new Buffer().write(answer.body()),
              answer.readSize(),
              answer.cutConnection() ? answer.body().length / 2 : Long.MAX_VALUE);
      Response.Builder response =
          new Response.Builder()
              .request(chain.request())
              .protocol(Protocol.HTTP_1_1)
              .code(answer.code())
              .message("canned")
              .body(
                  ResponseBody.create(
                      Okio.buffer(source),
                      answer.contentType() == null ? null : MediaType.parse(answer.contentType()),
                      answer.body().length));
      if (answer.contentType() != null) {
        response.header("Content-Type", answer.contentType());
      }
      return response.build();
    }

    Dispatcher dispatcher() {
      return new Dispatcher() {
        @Override
        public MockResponse dispatch(RecordedRequest request) {
          HostileTraffic.Answer answer = next;
          MockResponse.Builder response =
              new MockResponse.Builder()
                  .code(answer.code())
                  .body(new Buffer().write(answer.body()));
          if (answer.contentType() != null) {
            response.setHeader("Content-Type", answer.contentType());
          }
          if (answer.cutConnection()) {
            response.onResponseBody(new SocketEffect.CloseSocket(true, true, true));
          }
          return response.build();
        }
      };
    }
  }

  /**
   * A body that arrives at most {@code readSize} bytes a read (0: any number), and whose connection
   * breaks after {@code cutAt} bytes.
   */
  static final class Pieces extends ForwardingSource {
    private final long readSize;
    private long left;

    Pieces(Source delegate, long readSize, long cutAt) {
      super(delegate);
      this.readSize = readSize;
      this.left = cutAt;
    }

    @Override
    public long read(Buffer sink, long byteCount) throws IOException {
      if (left <= 0) {
        throw new IOException("connection cut");
      }
      long n =
          super.read(
              sink, Math.min(Math.min(byteCount, left), readSize > 0 ? readSize : Long.MAX_VALUE));
      if (n > 0) {
        left -= n;
      }
      return n;
    }
  }

  /** Counts events per call id. */
  static final class EventsPerCall implements GatewayListener {
    private final Map<Long, Integer> perCall = new ConcurrentHashMap<>();
    private volatile GatewayEvent last;
    private int total;

    @Override
    public synchronized void onEvent(GatewayEvent event) {
      perCall.merge(event.callId(), 1, Integer::sum);
      last = event;
      total++;
    }

    synchronized int total() {
      return total;
    }

    GatewayEvent last() {
      return last;
    }

    List<String> repeatedIds() {
      List<String> repeated = new ArrayList<>();
      perCall.forEach(
          (id, count) -> {
            if (count != 1) {
              repeated.add("call " + id + ": " + count + " events");
            }
          });
      return repeated;
    }
  }

  /**
   * A store that records every reservation and settlement made through it, to check them against
   * the events and against the counters.
   */
  static final class AccountingStore implements TokenLimitStore {
    private final InMemoryTokenLimitStore store;

    /** Reservations not settled yet. */
    private final Map<Reservation, Boolean> open = new IdentityHashMap<>();

    /** Per counter (limit id and key): the tokens settled on it in all. */
    private final Map<String, Long> settledPerCounter = new LinkedHashMap<>();

    private final Map<String, LimitCharge> counters = new LinkedHashMap<>();

    /** Reservations of calls and in-flight slots (agent calls) not released yet. */
    private final Map<Reservation, Boolean> slots = new IdentityHashMap<>();

    private final List<String> misuse = new ArrayList<>();
    private Reservation caseReservation;
    private long caseSettled = -1;
    private int caseSettlements;

    AccountingStore(InMemoryTokenLimitStore store) {
      this.store = store;
    }

    @Override
    public synchronized ReserveResult reserve(List<LimitCharge> charges) {
      ReserveResult result = store.reserve(charges);
      if (charges.stream().anyMatch(c -> !countsTokens(c.limit()))) {
        // an MCP or A2A call's request and in-flight counters: released, not settled to tokens
        if (result.admitted()) {
          slots.put(result.reservation(), Boolean.TRUE);
        }
        return result;
      }
      if (result.admitted() && !result.reservation().charges().isEmpty()) {
        open.put(result.reservation(), Boolean.TRUE);
        caseReservation = result.reservation();
      }
      return result;
    }

    @Override
    public synchronized void settle(Reservation reservation, long[] actual) {
      if (slots.remove(reservation) != null) {
        store.settle(reservation, actual);
        return;
      }
      if (open.remove(reservation) == null) {
        misuse.add("settled a reservation that was not open: " + reservation);
        return;
      }
      store.settle(reservation, actual);
      caseSettlements++;
      // Every limit here counts tokens, so each charge settles to the call's tokens.
      caseSettled = actual.length == 0 ? 0 : actual[0];
      List<LimitCharge> charges = reservation.charges();
      for (int i = 0; i < charges.size(); i++) {
        LimitCharge charge = charges.get(i);
        if (actual[i] != caseSettled) {
          misuse.add(
              "charges of one call settled to different tokens: "
                  + java.util.Arrays.toString(actual));
        }
        String counter = charge.limit().id() + " " + charge.counterKey();
        counters.putIfAbsent(counter, charge);
        settledPerCounter.merge(counter, actual[i], Math::addExact);
      }
    }

    synchronized void startCase() {
      caseReservation = null;
      caseSettled = -1;
      caseSettlements = 0;
    }

    /** What is wrong with this case's reservation and settlement, or null. */
    synchronized String checkCase(GatewayEvent event) {
      if (!misuse.isEmpty()) {
        String wrong = String.join("; ", misuse);
        misuse.clear();
        return wrong;
      }
      if (caseReservation == null) {
        return null;
      }
      if (caseSettlements != 1 || open.containsKey(caseReservation)) {
        return caseSettlements + " settlements of " + caseReservation;
      }
      if (event == null) {
        return null; // reported by the event count
      }
      if (event.usage().tokens().exceedsMaxTokens()
          || event.limits().settledTokens() > Usage.MAX_TOKENS) {
        return "the event holds more than Usage.MAX_TOKENS: " + event;
      }
      if (event.limits().settledTokens() != caseSettled) {
        return "settled " + caseSettled + " but the event says " + event.limits().settledTokens();
      }
      if (event.limits().reservedTokens() != caseReservation.reservedTokens()) {
        return "reserved "
            + caseReservation.reservedTokens()
            + " but the event says "
            + event.limits().reservedTokens();
      }
      boolean charged =
          event.outcome() == CallOutcome.SUCCESS
              || event.outcome() == CallOutcome.CANCELLED
              || event.outcome() == CallOutcome.TRUNCATED;
      Usage usage = event.usage().tokens();
      if (charged && !usage.equals(Usage.ZERO) && usage.totalTokens() != caseSettled) {
        return "settled " + caseSettled + " but the event's usage is " + usage;
      }
      return null;
    }

    private static boolean countsTokens(LimitSpec spec) {
      return spec.kind() != LimitSpec.Kind.IN_FLIGHT && spec.unit() == LimitSpec.Unit.TOKENS;
    }

    /** Per counter, whether it holds its capacity minus every settlement on it. */
    synchronized List<String> checkCounters() {
      List<String> wrong = new ArrayList<>();
      if (!open.isEmpty()) {
        wrong.add(open.size() + " reservations never settled");
      }
      if (!slots.isEmpty()) {
        wrong.add(slots.size() + " call or in-flight reservations never released: " + slots);
      }
      settledPerCounter.forEach(
          (counter, settled) -> {
            LimitCharge charge = counters.get(counter);
            LimitSpec spec = charge.limit();
            ReserveResult probe =
                store.reserve(List.of(new LimitCharge(spec, charge.counterKey(), 0)));
            long remaining = probe.remaining().get(0);
            if (probe.admitted()) {
              store.settle(probe.reservation(), new long[] {0});
            }
            if (remaining != spec.capacity() - settled) {
              wrong.add(
                  counter
                      + ": "
                      + remaining
                      + " left, expected "
                      + spec.capacity()
                      + " - "
                      + settled);
            }
          });
      return wrong;
    }
  }
}
