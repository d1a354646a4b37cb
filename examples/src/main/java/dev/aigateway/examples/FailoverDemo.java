package dev.aigateway.examples;

import dev.aigateway.api.Attempt;
import dev.aigateway.api.BreakerState;
import dev.aigateway.api.BreakerTransition;
import dev.aigateway.api.Credentials;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.GatewayListener;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.routing.Backend;
import dev.aigateway.core.routing.BackendPool;
import dev.aigateway.core.routing.CircuitBreakerPolicy;
import dev.aigateway.core.routing.Failover;
import dev.aigateway.examples.server.LocalOpenAiServer;
import dev.aigateway.okhttp.OkHttpAiGateway;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * Failover demo: a provisioned primary and a pay-as-you-go secondary behind one model name, and an
 * application that never notices when the primary throttles.
 *
 * <p>Two {@link LocalOpenAiServer}s play the backends: {@value #PRIMARY} (Azure OpenAI deployment
 * form, priority 1) and {@value #SECONDARY} (OpenAI-compatible, priority 2). Both serve the
 * application's {@code gpt-4o} under their own deployment or model name. The application makes a
 * steady series of chat calls, JSON and streamed in turn, through one wrapped {@link OkHttpClient}.
 * Partway, the primary answers {@value #THROTTLED_ANSWERS} times with 429 and {@code Retry-After:
 * 1}, then recovers. The gateway fails each refused call over to the secondary, keeps traffic off
 * the primary while it asked for, trips its breaker after three failures, probes it and closes the
 * breaker when the probe succeeds; traffic returns to the primary. The program prints that as a
 * timeline, then a summary counted from what the application received.
 *
 * <p>Each 429 keeps the primary out for its {@code Retry-After}, so a sequential application meets
 * one 429 per second of throttling: the demo takes about six seconds, most of it the throttled
 * period itself. {@code bash scripts/demo.sh} runs it after the main {@link Demo}'s own part;
 * {@link #main} runs it alone.
 */
public final class FailoverDemo {

  /** The backend that gets traffic while it is available. */
  static final String PRIMARY = "ptu-primary";

  /** The backend that gets traffic only while the primary is unavailable. */
  static final String SECONDARY = "paygo-secondary";

  /** The model the application asks for, whichever backend answers. */
  static final String MODEL = "gpt-4o";

  /** How many 429s the primary answers once it starts throttling. */
  static final int THROTTLED_ANSWERS = 4;

  private static final String PRIMARY_DEPLOYMENT = "gpt-4o-ptu";
  private static final String SECONDARY_MODEL = "gpt-4o-2024-11-20";
  private static final String RETRY_AFTER_SECONDS = "1";
  private static final int BREAKER_FAILURES = 3;
  private static final Duration BREAKER_INTERVAL = Duration.ofSeconds(10);
  private static final Duration BREAKER_TRIP = Duration.ofSeconds(5);
  private static final int STEADY_CALLS = 8;
  private static final int RECOVERED_CALLS = 8;
  private static final Duration PACE = Duration.ofMillis(100);

  /** Ends the throttled period should the breaker never close (it closes after ~4 s). */
  private static final Duration THROTTLED_LIMIT = Duration.ofSeconds(20);

  private static final MediaType JSON = MediaType.get("application/json");
  // The pool decides where calls go, so the application's URL is never contacted; .invalid
  // names never resolve, should anything try.
  private static final String APP_URL = "https://llm.invalid/v1/chat/completions";

  private FailoverDemo() {}

  public static void main(String[] args) throws Exception {
    run(System.out);
  }

  /**
   * Runs the demo, printing its timeline and summary to {@code out}.
   *
   * @return what happened, counted from the application's responses and the gateway's events
   */
  public static Summary run(PrintStream out) throws InterruptedException {
    LocalOpenAiServer.Builder backend =
        LocalOpenAiServer.builder()
            .completionWords(12)
            .responseDelay(Duration.ofMillis(5))
            .firstChunkDelay(Duration.ofMillis(5))
            .chunkDelay(Duration.ofMillis(1));
    try (LocalOpenAiServer primary = backend.start();
        LocalOpenAiServer secondary = backend.start()) {
      return run(out, primary, secondary);
    }
  }

  private static Summary run(
      PrintStream out, LocalOpenAiServer primary, LocalOpenAiServer secondary)
      throws InterruptedException {
    Timeline timeline = new Timeline(out);
    BlockingQueue<GatewayEvent> events = new LinkedBlockingQueue<>();
    List<BreakerTransition> transitions = new CopyOnWriteArrayList<>();

    BackendPool pool =
        BackendPool.builder()
            .backend(
                Backend.azureOpenAi(PRIMARY, primary.baseUrl(), "2024-10-21")
                    .model(MODEL, PRIMARY_DEPLOYMENT)
                    .credential(Credentials.apiKey("azure-demo-key-not-real"))
                    .priority(1))
            .backend(
                Backend.openAiCompatible(SECONDARY, secondary.baseUrl())
                    .model(MODEL, SECONDARY_MODEL)
                    .credential(Credentials.apiKey("sk-demo-not-a-real-key"))
                    .priority(2))
            .circuitBreaker(
                CircuitBreakerPolicy.builder()
                    .failureCount(BREAKER_FAILURES, BREAKER_INTERVAL)
                    .tripDuration(BREAKER_TRIP)
                    .build())
            .failover(Failover.defaults())
            .build();
    AiGateway gateway =
        AiGateway.builder()
            .backendPool(pool)
            .listener(
                new GatewayListener() {
                  @Override
                  public void onEvent(GatewayEvent event) {
                    events.add(event);
                  }

                  @Override
                  public void onBreakerTransition(BreakerTransition transition) {
                    transitions.add(transition);
                    timeline.transition(transition);
                  }
                })
            .build();
    OkHttpClient appClient = new OkHttpClient.Builder().callTimeout(Duration.ofSeconds(30)).build();
    OkHttpClient client = OkHttpAiGateway.wrap(appClient, gateway);

    out.println("Backend pool for " + MODEL + ":");
    out.printf(
        Locale.ROOT,
        "  %-16s priority 1  %s, Azure deployment %s%n",
        PRIMARY,
        primary.baseUrl(),
        PRIMARY_DEPLOYMENT);
    out.printf(
        Locale.ROOT,
        "  %-16s priority 2  %s, OpenAI-compatible model %s%n",
        SECONDARY,
        secondary.baseUrl(),
        SECONDARY_MODEL);
    out.println(
        "  breaker: "
            + BREAKER_FAILURES
            + " failures in "
            + BREAKER_INTERVAL.toSeconds()
            + " s open it for "
            + BREAKER_TRIP.toSeconds()
            + " s, or for the backend's Retry-After;"
            + " failover: up to "
            + pool.failover().maxAttempts()
            + " attempts per call");
    out.println("\nOne call every " + PACE.toMillis() + " ms, JSON and streamed in turn:");
    timeline.header();

    List<Call> calls = new ArrayList<>();
    try {
      Phase phase = Phase.STEADY;
      long throttledUntil = Long.MAX_VALUE;
      int recovered = 0;
      while (recovered < RECOVERED_CALLS) {
        if (phase == Phase.STEADY && calls.size() == STEADY_CALLS) {
          primary.enqueueFailure(
              429, Map.of("Retry-After", RETRY_AFTER_SECONDS), THROTTLED_ANSWERS);
          timeline.note(
              PRIMARY
                  + " starts throttling: its next "
                  + THROTTLED_ANSWERS
                  + " answers are 429 with Retry-After: "
                  + RETRY_AFTER_SECONDS);
          phase = Phase.THROTTLED;
          throttledUntil = System.nanoTime() + THROTTLED_LIMIT.toNanos();
        }
        Call call = call(client, events, calls.size() + 1, phase);
        if (phase == Phase.THROTTLED
            && (closedAgain(transitions) || System.nanoTime() > throttledUntil)) {
          phase = Phase.RECOVERED; // from the call whose probe closed the breaker on
          call = call.in(phase);
        }
        if (phase == Phase.RECOVERED) {
          recovered++;
        }
        calls.add(call);
        timeline.call(call);
        Thread.sleep(PACE.toMillis());
      }
    } finally {
      appClient.dispatcher().executorService().shutdown();
      appClient.connectionPool().evictAll();
    }
    timeline.flush();

    Summary summary = new Summary(List.copyOf(calls), List.copyOf(transitions));
    summary.print(out);
    return summary;
  }

  /** Whether the primary's breaker has gone from open back to closed. */
  private static boolean closedAgain(List<BreakerTransition> transitions) {
    return transitions.stream()
        .anyMatch(t -> t.backendId().equals(PRIMARY) && t.to() == BreakerState.CLOSED);
  }

  /** One call as the application makes it; a failure is counted, never thrown. */
  private static Call call(
      OkHttpClient client, BlockingQueue<GatewayEvent> events, int number, Phase phase)
      throws InterruptedException {
    boolean stream = number % 2 == 0;
    String body =
        "{\"model\":\""
            + MODEL
            + "\",\"max_tokens\":60,\"stream\":"
            + stream
            + ",\"messages\":[{\"role\":\"user\",\"content\":\"Status report "
            + number
            + ", please.\"}]}";
    Request request =
        new Request.Builder().url(APP_URL).post(RequestBody.create(body, JSON)).build();
    int status;
    boolean complete;
    try (Response response = client.newCall(request).execute()) {
      String text = response.body().string();
      status = response.code();
      complete = stream ? text.contains("data: [DONE]") : text.contains("\"chat.completion\"");
    } catch (IOException e) {
      status = 0;
      complete = false;
    }
    // The event is emitted when the body ends, on this thread; the poll only guards a bug.
    GatewayEvent event = events.poll(5, TimeUnit.SECONDS);
    return new Call(
        number,
        phase,
        System.nanoTime(),
        stream,
        status == 200 && complete,
        event == null ? null : event.routing().backendId(),
        event == null ? null : event.routing().failoverReason(),
        event == null ? List.of() : event.routing().attempts());
  }

  /** Where in the story a call was made. */
  public enum Phase {
    /** Before the primary throttles. */
    STEADY,
    /** From the first throttled answer until the primary's breaker has closed again. */
    THROTTLED,
    /** From the call whose probe closed the breaker on. */
    RECOVERED
  }

  /**
   * One call of the application.
   *
   * @param number from 1
   * @param answeredNanos when the application had its answer ({@link System#nanoTime()})
   * @param ok whether the application got a 200 with a whole body (a stream up to [DONE])
   * @param backendId the backend that answered, per the gateway's event
   * @param failoverReason why the call left its first backend, or null
   * @param attempts every try against a backend
   */
  public record Call(
      int number,
      Phase phase,
      long answeredNanos,
      boolean stream,
      boolean ok,
      String backendId,
      String failoverReason,
      List<Attempt> attempts) {

    Call in(Phase other) {
      return new Call(
          number, other, answeredNanos, stream, ok, backendId, failoverReason, attempts);
    }
  }

  /**
   * What the demo saw.
   *
   * @param calls every call, in order
   * @param transitions every breaker transition, in order
   */
  public record Summary(List<Call> calls, List<BreakerTransition> transitions) {

    /** Calls that did not get a 200 with a whole body, counted from what the app received. */
    public long failedCalls() {
      return calls.stream().filter(c -> !c.ok()).count();
    }

    /** Calls that moved from their first backend to another. */
    public long failovers() {
      return calls.stream().filter(c -> c.failoverReason() != null).count();
    }

    /** The calls made in one phase. */
    public List<Call> callsIn(Phase phase) {
      return calls.stream().filter(c -> c.phase() == phase).toList();
    }

    /** How many calls each backend answered, in the order backends first answered. */
    public Map<String, Long> callsPerBackend() {
      Map<String, Long> counts = new LinkedHashMap<>();
      calls.forEach(c -> counts.merge(String.valueOf(c.backendId()), 1L, Long::sum));
      return counts;
    }

    /** The states breakers moved to, in order. */
    public List<BreakerState> breakerStates() {
      return transitions.stream().map(BreakerTransition::to).toList();
    }

    void print(PrintStream out) {
      Map<String, Long> refused = new LinkedHashMap<>();
      Map<String, Long> reasons = new LinkedHashMap<>();
      for (Call c : calls) {
        for (Attempt a : c.attempts()) {
          if (!a.succeeded()) {
            refused.merge(a.backendId(), 1L, Long::sum);
          }
        }
        if (c.failoverReason() != null) {
          reasons.merge(c.failoverReason(), 1L, Long::sum);
        }
      }
      Map<BreakerState, Long> states = new LinkedHashMap<>();
      transitions.forEach(t -> states.merge(t.to(), 1L, Long::sum));

      out.println("\nSummary:");
      out.printf(
          Locale.ROOT,
          "  %-30s %d (%d streamed)%n",
          "calls made by the app",
          calls.size(),
          calls.stream().filter(Call::stream).count());
      callsPerBackend()
          .forEach(
              (id, n) ->
                  out.printf(
                      Locale.ROOT,
                      "  %-30s %d%s%n",
                      "answered by " + id,
                      n,
                      refused.containsKey(id) ? " (and refused " + refused.get(id) + ")" : ""));
      out.printf(
          Locale.ROOT,
          "  %-30s %d%s%n",
          "failovers",
          failovers(),
          reasons.isEmpty() ? "" : " (" + counts(reasons, ": ") + ")");
      out.printf(
          Locale.ROOT,
          "  %-30s %d%s%n",
          "breaker transitions",
          transitions.size(),
          states.isEmpty() ? "" : " (to " + counts(states, " ") + ")");
      out.printf(Locale.ROOT, "  %-30s %d%n", "failed calls seen by the app", failedCalls());
    }
  }

  private static String counts(Map<?, Long> counts, String separator) {
    StringBuilder text = new StringBuilder();
    counts.forEach(
        (key, n) ->
            text.append(text.length() == 0 ? "" : ", ").append(key).append(separator).append(n));
    return text.toString();
  }

  /**
   * Prints calls and transitions as they happen; consecutive plain calls to one backend are folded
   * into one line. Thread-safe (transitions may come from any calling thread).
   */
  private static final class Timeline {
    private final PrintStream out;
    private final long startNanos = System.nanoTime();
    private final List<Call> run = new ArrayList<>();
    private BreakerState primaryBreaker = BreakerState.CLOSED;
    private String runNote = "";

    Timeline(PrintStream out) {
      this.out = out;
    }

    synchronized void header() {
      out.printf(Locale.ROOT, "  %6s  %-7s  %s%n", "time", "calls", "what happened");
    }

    synchronized void call(Call call) {
      boolean plain = call.ok() && call.failoverReason() == null && call.backendId() != null;
      if (!plain || (!run.isEmpty() && !run.get(0).backendId().equals(call.backendId()))) {
        flush();
      }
      if (plain) {
        if (run.isEmpty() && !call.backendId().equals(PRIMARY)) {
          runNote =
              primaryBreaker == BreakerState.CLOSED
                  ? ": " + PRIMARY + " rests for its Retry-After"
                  : ": " + PRIMARY + "'s breaker is " + primaryBreaker;
        }
        run.add(call);
        return;
      }
      String what =
          call.failoverReason() != null
              ? call.failoverReason() + " -> failed over to " + call.backendId()
              : "answered by " + call.backendId();
      line(
          call.answeredNanos(),
          "#" + call.number(),
          what + (call.ok() ? ", the app got its answer" : ", THE APP GOT AN ERROR"));
    }

    synchronized void transition(BreakerTransition t) {
      flush();
      if (t.backendId().equals(PRIMARY)) {
        primaryBreaker = t.to();
      }
      line(
          System.nanoTime(),
          "",
          "breaker "
              + t.backendId()
              + " "
              + t.from()
              + " -> "
              + t.to()
              + (t.openFor() == null ? "" : " for " + t.openFor().toMillis() + " ms")
              + " ("
              + t.reason()
              + ")");
    }

    synchronized void note(String text) {
      flush();
      line(System.nanoTime(), "", text);
    }

    synchronized void flush() {
      if (run.isEmpty()) {
        return;
      }
      Call first = run.get(0);
      Call last = run.get(run.size() - 1);
      long streamed = run.stream().filter(Call::stream).count();
      line(
          first.answeredNanos(),
          run.size() == 1 ? "#" + first.number() : "#" + first.number() + "-" + last.number(),
          first.backendId() + " answered " + run.size() + " (" + streamed + " streamed)" + runNote);
      run.clear();
      runNote = "";
    }

    private void line(long nanos, String calls, String what) {
      out.printf(Locale.ROOT, "  %5.2fs  %-7s  %s%n", (nanos - startNanos) / 1e9, calls, what);
    }
  }
}
