package dev.aigateway.core.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.Operation;
import dev.aigateway.api.RoutingInfo;
import dev.aigateway.api.TimingInfo;
import dev.aigateway.api.Usage;
import dev.aigateway.api.UsageInfo;
import dev.aigateway.api.UsageSource;
import dev.aigateway.core.wire.Json;
import dev.aigateway.testing.CapturingLogger;
import dev.aigateway.testing.ManualClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

class PromptLogTest {

  private static final String SECRET_KEY = "sk-proj-T3stK3yN0tR3al0123456789";
  private static final Duration WAIT = Duration.ofSeconds(5);

  private final RecordingLogger logger = new RecordingLogger();

  private PromptLog.Builder syncLog() {
    return PromptLog.builder().logger(logger).executor(Runnable::run);
  }

  private static GatewayEvent event(long callId, String consumer, String model) {
    return GatewayEvent.builder()
        .callId(callId)
        .timing(
            new TimingInfo(
                Instant.parse("2025-03-01T12:00:00Z"), Duration.ZERO, null, Duration.ZERO))
        .operation(Operation.CHAT_COMPLETIONS)
        .consumer(consumer)
        .requestedModel(model)
        .responseModel(model + "-2024-08-06")
        .routing(new RoutingInfo("ptu-east", List.of(), null, null, null, null, 0))
        .stream(true)
        .usage(
            new UsageInfo(
                Usage.of(12, 30), UsageSource.REPORTED, UsageSource.ESTIMATED, false, null))
        .status(200)
        .outcome(CallOutcome.SUCCESS)
        .build();
  }

  /** A successful chat call of {@code consumer} for {@code model} on {@code backend}. */
  private static GatewayEvent.Builder named(String consumer, String model, String backend) {
    return GatewayEvent.builder()
        .callId(1)
        .timing(new TimingInfo(Instant.EPOCH, Duration.ZERO, null, Duration.ZERO))
        .operation(Operation.CHAT_COMPLETIONS)
        .consumer(consumer)
        .requestedModel(model)
        .routing(new RoutingInfo(backend, List.of(), null, null, null, null, 0))
        .outcome(CallOutcome.SUCCESS);
  }

  private static GatewayEvent event(long callId) {
    return event(callId, "team-a", "gpt-4o");
  }

  private static JsonNode json(String line) {
    byte[] bytes = line.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return Json.parseOrNull(bytes, 0, bytes.length);
  }

  // ---------------------------------------------------------------- one record per call

  @Test
  void writesOneInfoRecordPerCallWithTheCallsFields() {
    PromptLog log = syncLog().build();

    log.log(event(7), "[{\"role\":\"user\",\"content\":\"Hi\"}]", "Hello!");

    assertThat(logger.lines(Level.INFO)).hasSize(1);
    JsonNode r = json(logger.lines(Level.INFO).get(0));
    assertThat(r.get("call_id").asLong()).isEqualTo(7);
    assertThat(r.get("started_at").asText()).isEqualTo("2025-03-01T12:00:00Z");
    assertThat(r.get("consumer").asText()).isEqualTo("team-a");
    assertThat(r.get("operation").asText()).isEqualTo("chat");
    assertThat(r.get("model").asText()).isEqualTo("gpt-4o");
    assertThat(r.get("response_model").asText()).isEqualTo("gpt-4o-2024-08-06");
    assertThat(r.get("backend").asText()).isEqualTo("ptu-east");
    assertThat(r.get("stream").asBoolean()).isTrue();
    assertThat(r.get("status").asInt()).isEqualTo(200);
    assertThat(r.get("outcome").asText()).isEqualTo("SUCCESS");
    assertThat(r.get("input_tokens").asLong()).isEqualTo(12);
    assertThat(r.get("output_tokens").asLong()).isEqualTo(30);
    assertThat(r.get("total_tokens").asLong()).isEqualTo(42);
    assertThat(r.get("usage_estimated").asBoolean()).isTrue();
    assertThat(r.get("request").asText()).isEqualTo("[{\"role\":\"user\",\"content\":\"Hi\"}]");
    assertThat(r.get("completion").asText()).isEqualTo("Hello!");
    assertThat(r.get("part").asInt()).isEqualTo(1);
    assertThat(r.get("parts").asInt()).isEqualTo(1);
  }

  @Test
  void eachRecordIsOneLine() {
    PromptLog log = syncLog().build();

    log.log(event(1), "line one\nline two\r\n\ttabbed", "a\nb");

    assertThat(logger.lines(Level.INFO))
        .singleElement()
        .satisfies(
            line -> {
              assertThat(line).doesNotContain("\n", "\r");
              assertThat(json(line).get("request").asText())
                  .isEqualTo("line one\nline two\r\n\ttabbed");
            });
  }

  @Test
  void missingTextsAndFieldsAreWrittenAsNull() {
    PromptLog log = syncLog().build();
    GatewayEvent rejected =
        GatewayEvent.builder()
            .callId(3)
            .timing(new TimingInfo(Instant.EPOCH, Duration.ZERO, null, Duration.ZERO))
            .operation(Operation.EMBEDDINGS)
            .consumer("team-a")
            .status(429)
            .outcome(CallOutcome.REJECTED)
            .build();

    log.log(rejected, null, null);

    JsonNode r = json(logger.lines(Level.INFO).get(0));
    assertThat(r.get("model").isNull()).isTrue();
    assertThat(r.get("response_model").isNull()).isTrue();
    assertThat(r.get("backend").isNull()).isTrue();
    assertThat(r.get("request").isNull()).isTrue();
    assertThat(r.get("completion").isNull()).isTrue();
    assertThat(r.get("outcome").asText()).isEqualTo("REJECTED");
    assertThat(r.get("parts").asInt()).isEqualTo(1);
  }

  @Test
  void defaultsAreTheDocumentedConstants() {
    assertThat(PromptLog.LOGGER_NAME).isEqualTo("dev.aigateway.prompts");
    assertThat(PromptLog.DEFAULT_MAX_PART_BYTES).isEqualTo(32 * 1024);
    assertThat(PromptLog.DEFAULT_QUEUE_CAPACITY).isEqualTo(1024);
    assertThat(PromptLog.DEFAULT_SAMPLE_RATE).isEqualTo(1.0);
    try (PromptLog log = PromptLog.builder().build()) {
      assertThat(log.toString())
          .contains(
              "sampleRate=1.0", "maxPartBytes=32768", "queueCapacity=1024", "Redaction{4 steps}");
    }
  }

  // ---------------------------------------------------------------- parts

  @Test
  void textsUpToTheCapStayInOneRecord() {
    PromptLog log = syncLog().maxPartBytes(16).build();

    log.log(event(1), "0123456789abcdef", "é".repeat(8)); // 16 bytes each

    assertThat(logger.lines(Level.INFO)).hasSize(1);
  }

  @Test
  void longTextsAreSplitIntoNumberedPartsThatRejoinExactly() {
    PromptLog log = syncLog().maxPartBytes(16).redaction(Redaction.none()).build();
    String request = "Grüße aus Köln 😀, naïve café — 東京 and 😀😀 at the end";
    String completion = "short";

    log.log(event(9), request, completion);

    List<JsonNode> records = logger.lines(Level.INFO).stream().map(PromptLogTest::json).toList();
    assertThat(records).hasSizeGreaterThan(3);
    for (int i = 0; i < records.size(); i++) {
      JsonNode r = records.get(i);
      assertThat(r.get("call_id").asLong()).isEqualTo(9);
      assertThat(r.get("consumer").asText()).isEqualTo("team-a");
      assertThat(r.get("part").asInt()).isEqualTo(i + 1);
      assertThat(r.get("parts").asInt()).isEqualTo(records.size());
      assertThat(r.get("request").asText().getBytes(StandardCharsets.UTF_8).length)
          .isBetween(1, 16);
    }
    assertThat(join(records, "request")).isEqualTo(request);
    assertThat(join(records, "completion")).isEqualTo(completion);
    assertThat(records.get(1).get("completion").isNull()).isTrue();
  }

  /**
   * The names in a record come from callers and backends; each is written as the call log writes it
   * ({@code LogText}): cut at 200 characters, so a megabyte consumer header does not make every
   * part's record a megabyte, and with line and text direction controls escaped, which JSON leaves
   * as they are, so the record cannot be turned round where it is read. The secret is masked before
   * the cut.
   */
  @Test
  void namesAreEscapedAndCutAsTheCallLogWritesThemInEveryPart() {
    PromptLog log = syncLog().maxPartBytes(16).build();
    String hugeConsumer = "team-" + "x".repeat(1_000_000);
    String turnedModel = "gpt-4o\u202e\u2028-mini";
    GatewayEvent e =
        named(hugeConsumer, turnedModel, "east\u0085west")
            .responseModel("y".repeat(190) + " " + SECRET_KEY) // the cut would split it
            .build();

    log.log(e, "a".repeat(64), null);

    List<String> lines = logger.lines(Level.INFO);
    assertThat(lines).hasSize(4).allMatch(line -> line.length() < 1_000);
    for (String line : lines) {
      JsonNode r = json(line);
      assertThat(r.get("consumer").asText())
          .isEqualTo("team-" + "x".repeat(195) + "…(+999805 chars)");
      assertThat(r.get("model").asText()).isEqualTo("gpt-4o\\u202e\\u2028-mini");
      assertThat(r.get("response_model").asText()).isEqualTo("y".repeat(190) + " [api-key]");
      assertThat(r.get("backend").asText()).isEqualTo("east\\u0085west");
    }
  }

  @Test
  void aFourByteCharacterAtTheBoundaryGoesWholeToTheNextPart() {
    PromptLog log = syncLog().maxPartBytes(16).redaction(Redaction.none()).build();

    log.log(event(1), "a".repeat(15) + "😀" + "b", null);

    List<JsonNode> records = logger.lines(Level.INFO).stream().map(PromptLogTest::json).toList();
    assertThat(records)
        .extracting(r -> r.get("request").asText())
        .containsExactly("a".repeat(15), "😀b");
  }

  @Test
  void completionLongerThanRequestGetsItsOwnParts() {
    PromptLog log = syncLog().maxPartBytes(8).redaction(Redaction.none()).build();

    log.log(event(1), "question", "a long streamed answer");

    List<JsonNode> records = logger.lines(Level.INFO).stream().map(PromptLogTest::json).toList();
    assertThat(records).hasSize(3);
    assertThat(join(records, "request")).isEqualTo("question");
    assertThat(join(records, "completion")).isEqualTo("a long streamed answer");
  }

  @Test
  void splittingNeverBreaksACodePointAndLosesNothing() {
    Random random = new Random(42);
    int[] samples = {'a', 'ß', 'é', '€', '東', 0x1F600, 0x10348, '\n', '"'};
    for (int round = 0; round < 500; round++) {
      StringBuilder text = new StringBuilder();
      for (int n = random.nextInt(200); n > 0; n--) {
        text.appendCodePoint(samples[random.nextInt(samples.length)]);
      }
      int max = 4 + random.nextInt(40);

      List<String> parts = PromptLog.parts(text.toString(), max);

      assertThat(String.join("", parts)).isEqualTo(text.toString());
      for (String part : parts) {
        assertThat(part.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(max);
        assertThat(Character.isLowSurrogate(part.isEmpty() ? 'x' : part.charAt(0))).isFalse();
      }
    }
  }

  @Test
  void partsAreRedactedBeforeSplittingSoNoSecretIsSplitAcrossThem() {
    PromptLog log = syncLog().maxPartBytes(8).build();
    String request = "use key " + SECRET_KEY + " please";

    log.log(event(1), request, null);

    List<JsonNode> records = logger.lines(Level.INFO).stream().map(PromptLogTest::json).toList();
    assertThat(join(records, "request")).isEqualTo("use key [api-key] please");
    assertThat(String.join("", logger.lines())).doesNotContain("T3stK3y");
  }

  // ---------------------------------------------------------------- filters and sampling

  @Test
  void consumerFilterSelectsCalls() {
    PromptLog log = syncLog().consumers("team-a", "team-c").build();

    log.log(event(1, "team-a", "gpt-4o"), "a", "a");
    log.log(event(2, "team-b", "gpt-4o"), "b", "b");

    assertThat(log.wants("team-c", "any", 3)).isTrue();
    assertThat(log.wants("team-b", "gpt-4o", 3)).isFalse();
    assertThat(logger.lines(Level.INFO))
        .singleElement()
        .satisfies(line -> assertThat(json(line).get("call_id").asLong()).isEqualTo(1));
  }

  @Test
  void modelFilterSelectsCallsByRequestedModel() {
    PromptLog log = syncLog().models("gpt-4o").build();

    log.log(event(1, "team-a", "gpt-4o"), "a", "a");
    log.log(event(2, "team-a", "gpt-4o-mini"), "b", "b");

    assertThat(log.wants("anyone", "gpt-4o", 3)).isTrue();
    assertThat(log.wants("anyone", "gpt-4o-mini", 3)).isFalse();
    assertThat(log.wants("anyone", null, 3)).isFalse();
    assertThat(logger.lines(Level.INFO)).hasSize(1);
  }

  @Test
  void bothFiltersMustPass() {
    PromptLog log = syncLog().consumers("team-a").models("gpt-4o").build();

    assertThat(log.wants("team-a", "gpt-4o", 1)).isTrue();
    assertThat(log.wants("team-a", "o1", 1)).isFalse();
    assertThat(log.wants("team-b", "gpt-4o", 1)).isFalse();
  }

  @Test
  void emptyFiltersWantEveryCall() {
    PromptLog log = syncLog().build();

    assertThat(log.wants("anonymous", null, 1)).isTrue();
    assertThat(log.wants("team-z", "text-embedding-3-small", 2)).isTrue();
  }

  @Test
  void sampleRateZeroWantsNoCall() {
    PromptLog log = syncLog().sampleRate(0).build();

    assertThat(sampled(log, 10_000)).isZero();
    log.log(event(1), "a", "b");
    assertThat(logger.lines()).isEmpty();
  }

  @Test
  void sampleRateOneWantsEveryCall() {
    assertThat(sampled(syncLog().sampleRate(1).build(), 10_000)).isEqualTo(10_000);
  }

  @Test
  void sampleRateQuarterWantsAboutAQuarterOfCalls() {
    assertThat(sampled(syncLog().sampleRate(0.25).build(), 10_000)).isBetween(2_300L, 2_700L);
  }

  @Test
  void samplingDependsOnlyOnTheCallIdAndOnlyGrowsWithTheRate() {
    PromptLog quarter = syncLog().sampleRate(0.25).build();
    PromptLog again = syncLog().sampleRate(0.25).build();
    PromptLog half = syncLog().sampleRate(0.5).build();

    for (long id = 0; id < 10_000; id++) {
      assertThat(again.wants("c", "m", id)).isEqualTo(quarter.wants("c", "m", id));
      if (quarter.wants("c", "m", id)) {
        assertThat(half.wants("c", "m", id)).isTrue();
      }
    }
  }

  @Test
  void logAppliesTheSameSampling() {
    PromptLog log = syncLog().sampleRate(0.25).build();

    for (long id = 0; id < 1_000; id++) {
      log.log(event(id), "q", "a");
    }

    assertThat((long) logger.lines(Level.INFO).size())
        .isEqualTo(
            LongStream.range(0, 1_000).filter(id -> log.wants("team-a", "gpt-4o", id)).count());
  }

  @Test
  void disabledInfoMeansNoCallIsWanted() {
    logger.enable(Level.INFO, false);
    PromptLog log = syncLog().build();

    assertThat(log.wants("team-a", "gpt-4o", 1)).isFalse();
  }

  // ---------------------------------------------------------------- redaction

  @Test
  void redactionRunsBeforeAnythingIsWritten() {
    PromptLog log = syncLog().build();
    String request =
        "my key is "
            + SECRET_KEY
            + ", mail jane@example.com, card 4111 1111 1111"
            + " 1111, header Authorization: Bearer abc123def456ghi";

    log.log(event(1), request, "I saw " + SECRET_KEY);

    JsonNode r = json(logger.lines(Level.INFO).get(0));
    assertThat(r.get("request").asText())
        .isEqualTo(
            "my key is [api-key], mail [email],"
                + " card [card], header Authorization: Bearer [token]");
    assertThat(r.get("completion").asText()).isEqualTo("I saw [api-key]");
  }

  @Test
  void noSecretReachesAnyLineFromAnyField() {
    PromptLog log = syncLog().maxPartBytes(16).build();
    GatewayEvent leaky =
        named(SECRET_KEY, "gpt-4o", "https://x/?api-key=0123456789abcdef0123456789abcdef").build();

    log.log(leaky, "k=" + SECRET_KEY + " " + SECRET_KEY, SECRET_KEY);

    assertThat(logger.lines())
        .isNotEmpty()
        .noneMatch(line -> line.contains("T3stK3y") || line.contains("0123456789abcdef"));
  }

  @Test
  void customRedactionPatternIsApplied() {
    PromptLog log =
        syncLog()
            .redaction(
                Redaction.builder().pattern(Pattern.compile("EMP-\\d{6}"), "[employee]").build())
            .build();

    log.log(event(1), "who is EMP-123456?", "EMP-123456 is Jane");

    JsonNode r = json(logger.lines(Level.INFO).get(0));
    assertThat(r.get("request").asText()).isEqualTo("who is [employee]?");
    assertThat(r.get("completion").asText()).isEqualTo("[employee] is Jane");
  }

  @Test
  void aFailingRedactionWritesAMarkerNeverTheText() {
    PromptLog log =
        syncLog()
            .redaction(
                Redaction.builder()
                    .custom(
                        text -> {
                          throw new IllegalStateException("boom " + text);
                        })
                    .build())
            .build();

    log.log(event(1), "secret " + SECRET_KEY, "secret");

    JsonNode r = json(logger.lines(Level.INFO).get(0));
    assertThat(r.get("request").asText()).isEqualTo(PromptLog.REDACTION_FAILED);
    assertThat(r.get("completion").asText()).isEqualTo(PromptLog.REDACTION_FAILED);
    assertThat(String.join("", logger.lines())).doesNotContain("T3stK3y");
  }

  // ---------------------------------------------------------------- never blocks, never throws

  @Test
  void aFullQueueDropsAndCountsCalls() {
    ManualExecutor writer = new ManualExecutor();
    PromptLog log = syncLog().executor(writer).queueCapacity(2).build();

    for (long id = 1; id <= 5; id++) {
      log.log(event(id), "q", "a");
    }

    assertThat(log.dropped()).isEqualTo(3);
    writer.runAll();
    assertThat(logger.lines(Level.INFO))
        .extracting(line -> json(line).get("call_id").asLong())
        .containsExactly(1L, 2L);
  }

  @Test
  void byDefaultTheQueueHoldsAtMost64MiBOfText() {
    // 1,024 calls may wait by default; with prompts of ten million characters (one string here,
    // so the test itself holds it once) they would hold 20 GB. Room for three of them: 64 MiB.
    ManualExecutor writer = new ManualExecutor();
    PromptLog log = syncLog().executor(writer).redaction(Redaction.none()).build();
    String document = "x".repeat(10_000_000);

    for (long id = 1; id <= 10; id++) {
      log.log(event(id), document, null);
    }

    assertThat(log.dropped()).isEqualTo(7);
    writer.runAll();
    assertThat(logger.lines(Level.INFO)).hasSizeGreaterThan(3 * 300); // 32 KiB parts
  }

  @Test
  void theQueueHoldsAtMostItsBytesOfTextHoweverLargeThePrompts() {
    // A slow logger and large prompts (a long document each) must not fill the heap: the queue is
    // bounded by the text it holds as well as by its count of calls.
    ManualExecutor writer = new ManualExecutor();
    PromptLog log =
        syncLog().executor(writer).maxQueuedBytes(1 << 20).maxPartBytes(1 << 20).build();
    String prompt = "x".repeat(100_000); // 200,000 bytes as Java holds it, at most

    for (long id = 1; id <= 10; id++) {
      log.log(event(id), prompt, "a");
    }

    assertThat(log.dropped()).isEqualTo(5);
    writer.runAll();
    assertThat(logger.lines(Level.INFO))
        .extracting(line -> json(line).get("call_id").asLong())
        .containsExactly(1L, 2L, 3L, 4L, 5L);

    log.log(event(11), prompt, "a"); // written texts free their room
    log.log(event(12), "y".repeat(600_000), "a"); // more than the whole bound: never queued
    writer.runAll();
    assertThat(log.dropped()).isEqualTo(6);
    assertThat(json(logger.lines(Level.INFO).get(5)).get("call_id").asLong()).isEqualTo(11L);
  }

  @Test
  void aStuckLoggerNeverBlocksTheCallPath() throws InterruptedException {
    CountDownLatch release = new CountDownLatch(1);
    logger.onInfo = () -> release.await();
    PromptLog log = PromptLog.builder().logger(logger).queueCapacity(4).build();

    try {
      assertTimeoutPreemptively(
          Duration.ofSeconds(2),
          () -> {
            for (long id = 1; id <= 1_000; id++) {
              log.log(event(id), "q".repeat(1_000), "a");
            }
          });
      // One call is in the writer, four wait in the queue.
      assertThat(log.dropped()).isBetween(995L, 996L);
    } finally {
      release.countDown();
    }
    assertThat(log.flush(WAIT)).isTrue();
    assertThat(logger.lines(Level.INFO)).hasSize((int) (1_000 - log.dropped()));
    log.close();
  }

  @Test
  void dropsAreWarnedAtMostOncePerMinute() {
    ManualExecutor writer = new ManualExecutor();
    ManualClock clock = ManualClock.at("2025-03-01T00:00:00Z");
    PromptLog log = syncLog().executor(writer).queueCapacity(1).clock(clock).build();

    log.log(event(1), "q", "a");
    log.log(event(2), "q", "a");
    log.log(event(3), "q", "a");
    writer.runAll();
    assertThat(logger.lines(Level.WARN))
        .singleElement()
        .asString()
        .contains("dropped 2 call(s) (2 in all)")
        .doesNotContain("\"q\"");

    log.log(event(4), "q", "a");
    log.log(event(5), "q", "a");
    clock.advance(Duration.ofSeconds(59));
    writer.runAll();
    assertThat(logger.lines(Level.WARN)).hasSize(1);

    clock.advance(Duration.ofSeconds(1));
    log.log(event(6), "q", "a");
    log.log(event(7), "q", "a");
    writer.runAll();
    assertThat(logger.lines(Level.WARN))
        .hasSize(2)
        .last()
        .asString()
        .contains("dropped 2 call(s) (4 in all)");
    assertThat(logger.lines(Level.INFO)).hasSize(3);
  }

  @Test
  void dropsAreWarnedWhileASlowLoggerKeepsTheQueueFromEmptying() {
    // A logger slower than the calls: each time the writer takes a call, another is queued in its
    // place and one more is dropped, so the queue never empties. The drops must be warned of
    // while they happen, not only once the queue is empty, which may never come.
    ManualExecutor writer = new ManualExecutor();
    PromptLog log = syncLog().executor(writer).queueCapacity(1).build();
    java.util.concurrent.atomic.AtomicLong nextId = new java.util.concurrent.atomic.AtomicLong(2);
    List<Integer> warningsSeenByRecord = new ArrayList<>();
    logger.onInfo =
        () -> {
          warningsSeenByRecord.add(logger.lines(Level.WARN).size());
          if (warningsSeenByRecord.size() < 5) {
            log.log(event(nextId.getAndIncrement()), "q", "a"); // takes the place just freed
            log.log(event(nextId.getAndIncrement()), "q", "a"); // finds the queue full
          }
        };

    log.log(event(1), "q", "a");
    writer.runAll();

    assertThat(log.dropped()).isEqualTo(4);
    assertThat(logger.lines(Level.INFO)).hasSize(5);
    // The first record's drop is warned of before the second record is written.
    assertThat(warningsSeenByRecord).containsExactly(0, 1, 1, 1, 1);
    assertThat(logger.lines(Level.WARN).get(0)).contains("dropped 1 call(s) (1 in all)");
  }

  @Test
  void aThrowingLoggerNeverReachesTheCaller() {
    logger.onInfo =
        () -> {
          throw new IllegalStateException("appender down");
        };
    PromptLog log = syncLog().build();

    assertThatNoException().isThrownBy(() -> log.log(event(1), "q", "a"));
    assertThat(log.dropped()).isEqualTo(1);
  }

  @Test
  void aLoggerThatThrowsOnLevelChecksNeverReachesTheCaller() {
    RecordingLogger broken =
        new RecordingLogger() {
          @Override
          public boolean isInfoEnabled() {
            throw new IllegalStateException("misconfigured");
          }
        };
    PromptLog log = PromptLog.builder().logger(broken).executor(Runnable::run).build();

    assertThat(log.wants("team-a", "gpt-4o", 1)).isFalse();
    assertThatNoException().isThrownBy(() -> log.log(event(1), "q", "a"));
  }

  @Test
  void aRejectingExecutorNeverReachesTheCaller() {
    PromptLog log =
        syncLog()
            .executor(
                task -> {
                  throw new RejectedExecutionException("shut down");
                })
            .build();

    assertThatNoException().isThrownBy(() -> log.log(event(1), "q", "a"));
    assertThat(log.dropped()).isEqualTo(1);
    assertThatNoException().isThrownBy(() -> log.log(event(2), "q", "a"));
    assertThat(log.dropped()).isEqualTo(2);
  }

  @Test
  void aFlushWaitingWhenTheWriterIsRefusedReturnsOnceTheQueueIsGivenUp() throws Exception {
    CountDownLatch flushing = new CountDownLatch(1);
    Thread[] flusher = new Thread[1];
    PromptLog log =
        syncLog()
            .executor(
                task -> {
                  // Refuse the writer only once a flush is waiting for the queued call.
                  try {
                    flushing.await();
                    while (flusher[0].getState() != Thread.State.TIMED_WAITING) {
                      Thread.onSpinWait();
                    }
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  throw new RejectedExecutionException("shut down");
                })
            .build();
    boolean[] drained = new boolean[1];
    flusher[0] =
        new Thread(
            () -> {
              try {
                flushing.countDown();
                drained[0] = log.flush(Duration.ofMinutes(10));
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });

    assertTimeoutPreemptively(
        WAIT,
        () -> {
          Thread logging = new Thread(() -> log.log(event(1), "q", "a"));
          logging.start();
          while (!queuedOrWaiting(logging)) {
            Thread.onSpinWait();
          }
          flusher[0].start();
          logging.join();
          flusher[0].join(); // the call was dropped: nothing is left to wait for
        });
    assertThat(log.dropped()).isEqualTo(1);
    assertThat(drained[0]).isTrue();
  }

  /** Whether the logging thread is inside the executor, its call queued. */
  private static boolean queuedOrWaiting(Thread logging) {
    return logging.getState() == Thread.State.WAITING;
  }

  @Test
  void aNullEventIsIgnored() {
    PromptLog log = syncLog().build();

    assertThatNoException().isThrownBy(() -> log.log(null, "q", "a"));
    assertThat(logger.lines()).isEmpty();
  }

  // ---------------------------------------------------------------- writer thread, flush, close

  @Test
  void theDefaultWriterIsOneDaemonThread() throws InterruptedException {
    List<Thread> writers = new CopyOnWriteArrayList<>();
    logger.onInfo = () -> writers.add(Thread.currentThread());
    try (PromptLog log = PromptLog.builder().logger(logger).build()) {
      for (long id = 1; id <= 50; id++) {
        log.log(event(id), "q", "a");
      }

      assertThat(log.flush(WAIT)).isTrue();
    }
    assertThat(writers)
        .hasSize(50)
        .allSatisfy(
            t -> {
              assertThat(t.isDaemon()).isTrue();
              assertThat(t.getName()).isEqualTo("ai-gateway-prompt-log");
              assertThat(t).isNotSameAs(Thread.currentThread());
            });
    assertThat(writers.stream().distinct().count()).isEqualTo(1);
  }

  @Test
  void flushTimesOutWhenTheWriterDoesNotRun() throws InterruptedException {
    PromptLog log = syncLog().executor(new ManualExecutor()).build();
    log.log(event(1), "q", "a");

    assertThat(log.flush(Duration.ofMillis(20))).isFalse();
  }

  @Test
  void afterCloseNoCallIsWantedOrLogged() throws InterruptedException {
    PromptLog log = PromptLog.builder().logger(logger).build();
    log.log(event(1), "q", "a");
    assertThat(log.flush(WAIT)).isTrue();

    log.close();
    log.log(event(2), "q", "a");

    assertThat(log.wants("team-a", "gpt-4o", 3)).isFalse();
    assertThat(logger.lines(Level.INFO)).hasSize(1);
    assertThat(log.dropped()).isZero();
  }

  // ---------------------------------------------------------------- builder

  @Test
  void builderRejectsBadValuesNamingThem() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> PromptLog.builder().sampleRate(1.5))
        .withMessage("sample rate must be within [0, 1] but was 1.5");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> PromptLog.builder().sampleRate(Double.NaN))
        .withMessage("sample rate must be within [0, 1] but was NaN");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> PromptLog.builder().maxPartBytes(3))
        .withMessage("max part bytes must be >= 4 (one UTF-8 code point) but was 3");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> PromptLog.builder().queueCapacity(0))
        .withMessage("queue capacity must be >= 1 but was 0");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> PromptLog.builder().consumers(" "))
        .withMessage("consumer id must be non-blank but was ' '");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> PromptLog.builder().models(""))
        .withMessage("model must be non-blank but was ''");
  }

  // ---------------------------------------------------------------- helpers

  private static long sampled(PromptLog log, int calls) {
    return LongStream.range(0, calls).filter(id -> log.wants("team-a", "gpt-4o", id)).count();
  }

  private static String join(List<JsonNode> records, String field) {
    return records.stream()
        .map(r -> r.get(field))
        .filter(n -> !n.isNull())
        .map(JsonNode::asText)
        .collect(Collectors.joining());
  }

  /** Runs submitted tasks only when told to. */
  private static final class ManualExecutor implements Executor {
    private final List<Runnable> tasks = new ArrayList<>();

    @Override
    public synchronized void execute(Runnable task) {
      tasks.add(task);
    }

    void runAll() {
      List<Runnable> now;
      synchronized (this) {
        now = new ArrayList<>(tasks);
        tasks.clear();
      }
      now.forEach(Runnable::run);
    }
  }

  interface Hook {
    void run() throws Exception;
  }

  /** Records every line, and runs {@link #onInfo} before recording an INFO line. */
  static class RecordingLogger extends CapturingLogger {
    private static final long serialVersionUID = 1L;
    transient volatile Hook onInfo = () -> {};

    RecordingLogger() {
      super(PromptLog.LOGGER_NAME);
    }

    @Override
    protected void beforeRecording(Level level) {
      if (level != Level.INFO) {
        return;
      }
      try {
        onInfo.run();
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
