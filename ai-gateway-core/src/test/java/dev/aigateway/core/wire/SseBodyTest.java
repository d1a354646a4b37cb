package dev.aigateway.core.wire;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.Usage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class SseBodyTest {

  // ---------------------------------------------------------------- fixtures

  private static final String HEAD =
      "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
          + "\"model\":\"gpt-4o-2024-08-06\",";

  /** A chat stream; {@code %U} marks where OpenAI puts {@code ,"usage":null}. */
  private static final String CHAT_TEMPLATE =
      ": ping\n\n"
          + "data: "
          + HEAD
          + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
          + "\"content\":\"\"},\"finish_reason\":null}]%U}\n\n"
          + "data: "
          + HEAD
          + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Grüße, \"},"
          + "\"finish_reason\":null}]%U}\n\n"
          + "data: "
          + HEAD
          + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Welt 🌍 €\"},"
          + "\"finish_reason\":null}]%U}\n\n"
          + "data: "
          + HEAD
          + "\"choices\":[{\"index\":0,\"delta\":{},"
          + "\"finish_reason\":\"stop\"}]%U}\n\n"
          + "%USAGE"
          + "data: [DONE]\n\n";

  private static final String USAGE_CHUNK =
      "data: "
          + HEAD
          + "\"choices\":[],\"usage\":{\"prompt_tokens\":12,"
          + "\"completion_tokens\":5,\"total_tokens\":17,"
          + "\"prompt_tokens_details\":{\"cached_tokens\":2},"
          + "\"completion_tokens_details\":{\"reasoning_tokens\":1}}}\n\n";

  private static final Usage CHAT_USAGE = new Usage(12, 5, 17, 2, 1);
  private static final String CHAT_TEXT = "Grüße, Welt 🌍 €";

  /** What the backend sends when the gateway asked for usage. */
  private static String upstream(String lineEnding) {
    return crlf(
        CHAT_TEMPLATE.replace("%USAGE", USAGE_CHUNK).replace("%U", ",\"usage\":null"), lineEnding);
  }

  /** What the application would have received without {@code stream_options.include_usage}. */
  private static String withoutUsage(String lineEnding) {
    return crlf(CHAT_TEMPLATE.replace("%USAGE", "").replace("%U", ""), lineEnding);
  }

  private static String crlf(String text, String lineEnding) {
    return text.replace("\n", lineEnding);
  }

  private static final String RESPONSES_STREAM =
      "event: response.created\n"
          + "data: {\"type\":\"response.created\",\"response\":{\"id\":\"r1\","
          + "\"model\":\"gpt-4.1\",\"usage\":null}}\n\n"
          + "event: response.output_text.delta\n"
          + "data: {\"type\":\"response.output_text.delta\",\"delta\":\"Hé\"}\n\n"
          + "event: response.output_text.delta\n"
          + "data: {\"type\":\"response.output_text.delta\",\"delta\":\"llo ✓\"}\n\n"
          + "%COMPLETED";

  private static final String RESPONSES_COMPLETED =
      "event: response.completed\n"
          + "data: {\"type\":\"response.completed\",\"response\":{\"id\":\"r1\","
          + "\"model\":\"gpt-4.1-2025-04-14\",\"usage\":{\"input_tokens\":9,"
          + "\"input_tokens_details\":{\"cached_tokens\":4},\"output_tokens\":2,"
          + "\"output_tokens_details\":{\"reasoning_tokens\":1},\"total_tokens\":11}}}\n\n";

  // ---------------------------------------------------------------- read patterns

  /** Read sizes the upstream serves, each 1 to 7 bytes (cycled). */
  static Stream<Arguments> pieces() {
    return Stream.of(
        Arguments.of("1", new int[] {1}),
        Arguments.of("2", new int[] {2}),
        Arguments.of("3", new int[] {3}),
        Arguments.of("1..7", new int[] {1, 2, 3, 4, 5, 6, 7}),
        Arguments.of("7,5,3,1,2,4,6", new int[] {7, 5, 3, 1, 2, 4, 6}),
        Arguments.of("random seed 1", randomPieces(1)),
        Arguments.of("random seed 2", randomPieces(2)),
        Arguments.of("random seed 3", randomPieces(3)));
  }

  static Stream<Arguments> piecesAndLineEndings() {
    return pieces()
        .flatMap(
            p ->
                Stream.of("\n", "\r\n", "\r")
                    .map(
                        le ->
                            Arguments.of(
                                p.get()[0],
                                p.get()[1],
                                le.equals("\n") ? "LF" : le.equals("\r") ? "CR" : "CRLF")));
  }

  private static int[] randomPieces(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int[] sizes = new int[257];
    for (int i = 0; i < sizes.length; i++) {
      sizes[i] = 1 + random.nextInt(7);
    }
    return sizes;
  }

  /** Read sizes of at most 7 bytes such that a read ends exactly at each of {@code cuts}. */
  private static int[] piecesEndingAt(int length, List<Integer> cuts) {
    List<Integer> sizes = new ArrayList<>();
    int at = 0;
    List<Integer> boundaries = new ArrayList<>(cuts);
    boundaries.add(length);
    for (int boundary : boundaries) {
      while (at < boundary) {
        int n = Math.min(7, boundary - at);
        sizes.add(n);
        at += n;
      }
    }
    return sizes.stream().mapToInt(Integer::intValue).toArray();
  }

  private static String lineEnding(String name) {
    return switch (name) {
      case "LF" -> "\n";
      case "CR" -> "\r";
      default -> "\r\n";
    };
  }

  // ---------------------------------------------------------------- helpers

  private final RecordingBodyListener listener = new RecordingBodyListener();

  private SseBody chat(InputStream upstream, boolean hideUsage) {
    return new SseBody(upstream, listener, () -> false, false, hideUsage);
  }

  private static byte[] readAll(InputStream in, int bufferSize) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[bufferSize];
    int n;
    while ((n = in.read(buffer, 0, buffer.length)) != -1) {
      out.write(buffer, 0, n);
    }
    return out.toByteArray();
  }

  private static byte[] readAllScratch(ObservedBody in, int bufferSize) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[bufferSize];
    int n;
    while ((n = in.readScratch(buffer, 0, buffer.length)) != -1) {
      out.write(buffer, 0, n);
    }
    return out.toByteArray();
  }

  /**
   * Reads {@code body} to its end through {@link SseBody#read}, {@code bufferSize} bytes at most a
   * read, noting in {@code peak[0]} the most bytes its buffer could hold after a read (it gives the
   * buffer back once read to its end).
   */
  private static String readAllNotingCapacity(SseBody body, int bufferSize, int[] peak)
      throws IOException {
    ByteArrayOutputStream read = new ByteArrayOutputStream();
    byte[] buffer = new byte[bufferSize];
    peak[0] = 0;
    for (int n; (n = body.read(buffer, 0, buffer.length)) != -1; ) {
      read.write(buffer, 0, n);
      peak[0] = Math.max(peak[0], body.capacity());
    }
    return read.toString(UTF_8);
  }

  private static String readAllText(InputStream in) throws IOException {
    return new String(readAll(in, 8192), UTF_8);
  }

  // ---------------------------------------------------------------- app-visible bytes

  @ParameterizedTest(name = "pieces {0}, {2}")
  @MethodSource("piecesAndLineEndings")
  void hiddenUsageStreamReachesTheAppAsIfUsageHadNotBeenAskedFor(
      String name, int[] sizes, String ending) throws IOException {
    String le = lineEnding(ending);
    SseBody body = chat(new PiecewiseInputStream(upstream(le).getBytes(UTF_8), sizes), true);

    byte[] seen = readAll(body, 8192);

    assertThat(seen).isEqualTo(withoutUsage(le).getBytes(UTF_8));
  }

  @ParameterizedTest(name = "pieces {0}, {2}")
  @MethodSource("piecesAndLineEndings")
  void visibleUsageStreamReachesTheAppByteForByte(String name, int[] sizes, String ending)
      throws IOException {
    byte[] sent = upstream(lineEnding(ending)).getBytes(UTF_8);
    SseBody body = chat(new PiecewiseInputStream(sent, sizes), false);

    byte[] seen = readAll(body, 8192);

    assertThat(seen).isEqualTo(sent);
  }

  @ParameterizedTest(name = "app buffer {0}")
  @ValueSource(ints = {1, 2, 5, 64})
  void hiddenUsageStreamIsExactWhateverTheAppsBufferSize(int bufferSize) throws IOException {
    SseBody body = chat(new PiecewiseInputStream(upstream("\n").getBytes(UTF_8), 3), true);

    byte[] seen = readAll(body, bufferSize);

    assertThat(seen).isEqualTo(withoutUsage("\n").getBytes(UTF_8));
  }

  @ParameterizedTest(name = "hideUsage={0}")
  @ValueSource(booleans = {true, false})
  void appReadingOneByteAtATimeSeesTheExpectedBytes(boolean hideUsage) throws IOException {
    SseBody body = chat(new PiecewiseInputStream(upstream("\r\n").getBytes(UTF_8), 5), hideUsage);
    ByteArrayOutputStream seen = new ByteArrayOutputStream();

    int b;
    while ((b = body.read()) != -1) {
      seen.write(b);
    }

    assertThat(seen.toString(UTF_8)).isEqualTo(hideUsage ? withoutUsage("\r\n") : upstream("\r\n"));
  }

  @Test
  void crlfPairsSplitBetweenReadsStillEndLinesAndEvents() throws IOException {
    byte[] sent = upstream("\r\n").getBytes(UTF_8);
    List<Integer> cuts = new ArrayList<>();
    for (int i = 0; i < sent.length; i++) {
      if (sent[i] == '\r') {
        cuts.add(i + 1); // a read ends right after every \r, before its \n
      }
    }
    SseBody body = chat(new PiecewiseInputStream(sent, piecesEndingAt(sent.length, cuts)), true);

    byte[] seen = readAll(body, 8192);

    assertThat(seen).isEqualTo(withoutUsage("\r\n").getBytes(UTF_8));
    assertThat(listener.onlyEnd().outcome()).isEqualTo(CallOutcome.SUCCESS);
  }

  @ParameterizedTest(name = "hideUsage={0}")
  @ValueSource(booleans = {true, false})
  void multiByteCharactersSplitBetweenReadsArriveIntact(boolean hideUsage) throws IOException {
    byte[] sent = upstream("\n").getBytes(UTF_8);
    List<Integer> cuts = new ArrayList<>();
    for (int i = 0; i < sent.length; i++) {
      if ((sent[i] & 0xC0) == 0xC0) {
        cuts.add(i + 1); // a read ends right after every multi-byte character's lead byte
      }
    }
    assertThat(cuts).hasSizeGreaterThanOrEqualTo(4); // ü, ß, 🌍, €
    SseBody body =
        chat(new PiecewiseInputStream(sent, piecesEndingAt(sent.length, cuts)), hideUsage);
    body.keepText(); // usage is reported: only then is the whole text read

    String seen = readAllText(body);

    assertThat(seen).isEqualTo(hideUsage ? withoutUsage("\n") : upstream("\n"));
    assertThat(listener.onlyEnd().facts().text().toString()).isEqualTo(CHAT_TEXT);
  }

  @Test
  void usageOnlyChunkIsDroppedButItsUsageIsRead() throws IOException {
    SseBody body = chat(new PiecewiseInputStream(upstream("\n").getBytes(UTF_8), 4), true);

    String seen = readAllText(body);

    assertThat(seen).doesNotContain("\"usage\"").doesNotContain("prompt_tokens");
    assertThat(listener.onlyEnd().facts().usage()).isEqualTo(CHAT_USAGE);
  }

  @Test
  void chunkCarryingUsageAndChoicesIsPassedOnWhenUsageIsHidden() throws IOException {
    String stream =
        "data: "
            + HEAD
            + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}],"
            + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}\n\n"
            + "data: [DONE]\n\n";
    SseBody body = chat(new PiecewiseInputStream(stream.getBytes(UTF_8), 6), true);

    String seen = readAllText(body);

    assertThat(seen).isEqualTo(stream);
    assertThat(listener.onlyEnd().facts().usage()).isEqualTo(Usage.of(3, 1));
  }

  @ParameterizedTest(name = "hideUsage={0}, pieces of {1} (0: in one read)")
  @CsvSource({"true,1", "true,2", "true,6", "true,0", "false,1", "false,6", "false,0"})
  void aByteOrderMarkAtTheStreamsStartIsIgnoredAndPassedOn(boolean hideUsage, int piece)
      throws IOException {
    String stream =
        "\uFEFFdata: "
            + HEAD
            + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}],"
            + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}\n\n"
            + "data: [DONE]\n\n";
    byte[] sent = stream.getBytes(UTF_8);
    SseBody body =
        chat(
            piece == 0 ? new ByteArrayInputStream(sent) : new PiecewiseInputStream(sent, piece),
            hideUsage);

    String seen = readAllText(body);

    assertThat(seen).isEqualTo(stream);
    RecordingBodyListener.End end = listener.onlyEnd();
    assertThat(end.facts().usage()).isEqualTo(Usage.of(3, 1));
    assertThat(end.outcome()).isEqualTo(CallOutcome.SUCCESS);
  }

  @ParameterizedTest(name = "hideUsage={0}")
  @ValueSource(booleans = {true, false})
  void nonJsonDataLinesAndCommentsPassThroughUnchanged(boolean hideUsage) throws IOException {
    String stream =
        ": ping\n\n"
            + "data: hello\n\n"
            + ":keep-alive\r\n\r\n"
            + "event: custom\ndata: {not json\n\n"
            + "data: [1,2,3]\n\n"
            + "id: 7\nretry: 100\n\n"
            + "data: [DONE]\n\n";
    SseBody body = chat(new PiecewiseInputStream(stream.getBytes(UTF_8), 1, 2, 3), hideUsage);

    String seen = readAllText(body);

    assertThat(seen).isEqualTo(stream);
    RecordingBodyListener.End end = listener.onlyEnd();
    assertThat(end.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(end.facts().usage()).isNull();
  }

  @Test
  void strayBlankLinesBetweenEventsPassThroughWhenUsageIsHidden() throws IOException {
    String stream =
        "\n"
            + "data: "
            + HEAD
            + "\"choices\":[{\"index\":0,\"delta\":{\"content\":"
            + "\"a\"}}],\"usage\":null}\n\n\n\r\n"
            + "data: [DONE]\n\n";
    String expected =
        "\n"
            + "data: "
            + HEAD
            + "\"choices\":[{\"index\":0,\"delta\":{\"content\":"
            + "\"a\"}}]}\n\n\n\r\n"
            + "data: [DONE]\n\n";
    SseBody body = chat(new PiecewiseInputStream(stream.getBytes(UTF_8), 1), true);

    assertThat(readAllText(body)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "hideUsage={0}")
  @ValueSource(booleans = {true, false})
  void lastEventWithoutItsBlankLineIsStillReadAndPassedOn(boolean hideUsage) throws IOException {
    String stream =
        "data: "
            + HEAD
            + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}"
            + "\n\n"
            + USAGE_CHUNK
            + "data: [DONE]";
    String expected = hideUsage ? stream.replace(USAGE_CHUNK, "") : stream;
    SseBody body = chat(new PiecewiseInputStream(stream.getBytes(UTF_8), 7), hideUsage);

    String seen = readAllText(body);

    assertThat(seen).isEqualTo(expected);
    assertThat(listener.onlyEnd().outcome()).isEqualTo(CallOutcome.SUCCESS);
  }

  @Test
  void nullUsageWrittenWithSpacesIsRemovedWithOneCommaAndTheSpaceBeforeIt() throws IOException {
    String stream =
        "data: {\"usage\" : null , \"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"
            + "data: {\"choices\":[{\"delta\":{\"content\":\"b\"}}] ,\t\"usage\": null }\n\n"
            + "data: [DONE]\n\n";
    String expected =
        "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"
            + "data: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]  }\n\n"
            + "data: [DONE]\n\n";
    SseBody body = chat(new PiecewiseInputStream(stream.getBytes(UTF_8), 5), true);

    assertThat(readAllText(body)).isEqualTo(expected);
    assertThat(listener.onlyEnd().facts().text().toString()).isEqualTo("ab");
  }

  @Test
  void otherFieldsOfAnEventAroundItsDataKeepTheirBytes() throws IOException {
    String stream =
        "event: chunk\r\nid: 7\r\ndata: {\"id\":\"c1\",\"usage\":null}\r\n"
            + "retry: 5\r\n\r\ndata: [DONE]\r\n\r\n";
    SseBody body = chat(new PiecewiseInputStream(stream.getBytes(UTF_8), 3), true);

    assertThat(readAllText(body)).isEqualTo(stream.replace(",\"usage\":null", ""));
  }

  @Test
  void malformedChunkPassesUnchangedAndTeachesNothing() throws IOException {
    String stream =
        "data: {\"model\":\"m\",\"choices\":[{\"delta\":{\"content\":\"lost\"}}],"
            + "\"usage\":null\n\n"
            + "data: {\"choices\":[{\"delta\":{\"content\":\"kept\"}}],\"usage\":null}\n\n"
            + "data: [DONE]\n\n";
    String expected = stream.replace("\"kept\"}}],\"usage\":null}", "\"kept\"}}]}");
    SseBody body = chat(new PiecewiseInputStream(stream.getBytes(UTF_8), 4), true);

    assertThat(readAllText(body)).isEqualTo(expected);
    ResponseReadout facts = listener.onlyEnd().facts();
    assertThat(facts.text().toString()).isEqualTo("kept");
    assertThat(facts.model()).isNull();
  }

  @Test
  void dataSplitOverSeveralLinesIsReadAndPassedOnAsItCame() throws IOException {
    String split =
        "data: {\"model\":\"m\",\ndata: \"choices\":[{\"delta\":{\"content\":"
            + "\"a\"}}],\"usage\":null}\n\n";
    String usageOnly =
        "data: {\"choices\":[],\ndata: \"usage\":{\"prompt_tokens\":2,"
            + "\"completion_tokens\":1,\"total_tokens\":3}}\n\n";
    String stream = split + usageOnly + "data: [DONE]\n\n";
    SseBody body = chat(new PiecewiseInputStream(stream.getBytes(UTF_8), 6), true);
    body.keepText();

    assertThat(readAllText(body)).isEqualTo(split + "data: [DONE]\n\n");
    ResponseReadout facts = listener.onlyEnd().facts();
    assertThat(facts.text().toString()).isEqualTo("a");
    assertThat(facts.model()).isEqualTo("m");
    assertThat(facts.usage()).isEqualTo(Usage.of(2, 1));
  }

  @ParameterizedTest(name = "hideUsage={0}")
  @ValueSource(booleans = {true, false})
  void eventsLargerThanTheBufferPassWhole(boolean hideUsage) throws IOException {
    String content = "é".repeat(7000) + "x".repeat(5000);
    String stream =
        "data: "
            + HEAD
            + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\""
            + content
            + "\"}}],\"usage\":null}\n\n"
            + USAGE_CHUNK
            + "data: [DONE]\n\n";
    String expected =
        hideUsage ? stream.replace(",\"usage\":null", "").replace(USAGE_CHUNK, "") : stream;
    SseBody body = chat(new PiecewiseInputStream(stream.getBytes(UTF_8), 7), hideUsage);
    body.keepText();

    assertThat(readAllText(body)).isEqualTo(expected);
    assertThat(listener.onlyEnd().facts().text().toString()).isEqualTo(content);
    assertThat(listener.onlyEnd().facts().usage()).isEqualTo(CHAT_USAGE);
  }

  @Test
  void toolCallsAndReasoningAreTextToEstimateWith() throws IOException {
    String stream =
        "data: {\"choices\":[{\"delta\":{\"reasoning_content\":\"think \"}}]}\n\n"
            + "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
            + "{\"name\":\"get\",\"arguments\":\"{\\\"q\\\":1}\"}}]}}]}\n\n"
            + "data: {\"choices\":[{\"text\":\" done\"}]}\n\n"
            + "data: [DONE]\n\n";
    SseBody body = chat(new PiecewiseInputStream(stream.getBytes(UTF_8), 7), false);

    readAll(body, 8192);

    assertThat(listener.onlyEnd().facts().text().toString()).isEqualTo("think get{\"q\":1} done");
  }

  @Test
  void carriageReturnsAloneEndLinesAndEventsWhereverReadsEnd() throws IOException {
    byte[] sent = upstream("\r").getBytes(UTF_8);
    List<Integer> cuts = new ArrayList<>();
    for (int i = 0; i < sent.length; i++) {
      if (sent[i] == '\r') {
        cuts.add(i + 1); // a read ends right after every \r: no \n follows it, ever
      }
    }
    SseBody body = chat(new PiecewiseInputStream(sent, piecesEndingAt(sent.length, cuts)), true);

    byte[] seen = readAll(body, 8192);

    assertThat(seen).isEqualTo(withoutUsage("\r").getBytes(UTF_8));
    assertThat(listener.onlyEnd().outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(listener.onlyEnd().facts().usage()).isEqualTo(CHAT_USAGE);
  }

  @Test
  void eventsAreHandledAsTheirCarriageReturnArrivesNotWhenTheNextByteDoes() throws IOException {
    String first =
        "data: "
            + HEAD
            + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},"
            + "\"finish_reason\":null}],\"usage\":null}\r\r";
    byte[] firstBytes = first.getBytes(UTF_8);
    SseBody body =
        chat(
            new PiecewiseInputStream(
                (first + "data: [DONE]\r\r").getBytes(UTF_8),
                piecesEndingAt(firstBytes.length + 14, List.of(firstBytes.length))),
            true);

    byte[] seen = new byte[8192];
    int n = 0;
    while (n < first.length() - ",\"usage\":null".length()) {
      n += body.read(seen, n, seen.length - n);
    }

    assertThat(new String(seen, 0, n, UTF_8)).isEqualTo(first.replace(",\"usage\":null", ""));
  }

  @ParameterizedTest(name = "usage {0}")
  @ValueSource(strings = {"7", "\"n/a\"", "[]", "true"})
  void aUsageOnlyChunkWhoseUsageIsNotAnObjectIsHiddenToo(String usage) throws IOException {
    String stream =
        withoutUsage("\n")
            .replace(
                "data: [DONE]",
                "data: " + HEAD + "\"choices\":[],\"usage\":" + usage + "}\n\ndata: [DONE]");
    SseBody body = chat(new PiecewiseInputStream(stream.getBytes(UTF_8), 5), true);

    String seen = readAllText(body);

    assertThat(seen).isEqualTo(withoutUsage("\n"));
    assertThat(listener.onlyEnd().facts().usage()).isNull(); // unknown: the call is estimated
  }

  // ---------------------------------------------------------------- events past the bound

  /** {@code stream} with an event of a {@code size}-byte comment and data before its first data. */
  private static String withLargeEvent(String stream, int size, String lineEnding) {
    int firstData = stream.indexOf("data:");
    return stream.substring(0, firstData)
        + ": "
        + "x".repeat(size)
        + lineEnding
        + "data: big"
        + lineEnding
        + lineEnding
        + stream.substring(firstData);
  }

  @ParameterizedTest(name = "{0}, hideUsage={1}")
  @CsvSource({"LF, true", "CRLF, true", "CR, true", "LF, false", "CR, false"})
  void anEventPastTheBoundPassesUntouchedAndTheRestIsReadAsBefore(String ending, boolean hideUsage)
      throws IOException {
    String le = lineEnding(ending);
    String sent = withLargeEvent(upstream(le), 5_000, le);
    SseBody body =
        new SseBody(
            new PiecewiseInputStream(sent.getBytes(UTF_8), 7),
            listener,
            () -> false,
            false,
            hideUsage,
            1024);

    String seen = readAllText(body);

    assertThat(seen).isEqualTo(hideUsage ? withLargeEvent(withoutUsage(le), 5_000, le) : sent);
    assertThat(listener.onlyEnd().facts().usage()).isEqualTo(CHAT_USAGE);
    assertThat(listener.onlyEnd().outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(body.capacity()).isLessThanOrEqualTo(4 * 1024);
  }

  /**
   * A stream that comes one event per read is held in a small buffer; so is one that comes in large
   * reads into an application's large buffer (read there in place, the body holding only the start
   * of an event a read did not end). Read into an application's small buffer, a stream whose reads
   * fill all the room they are given has the body's buffer grown, so that it is read in fewer,
   * larger reads.
   */
  @Test
  void bufferGrowsOnlyForReadsThatFillIt() throws IOException {
    // One stream per event, in sequence: each read returns at most one event, as a socket would.
    List<InputStream> events = new ArrayList<>();
    for (String event : upstream("\n").split("(?<=\n\n)")) {
      events.add(new ByteArrayInputStream(event.getBytes(UTF_8)));
    }
    SseBody onePerRead = chat(new SequenceInputStream(Collections.enumeration(events)), true);

    assertThat(readAllText(onePerRead)).isEqualTo(withoutUsage("\n"));
    assertThat(onePerRead.capacity()).isLessThan(1024);

    StringBuilder many = new StringBuilder();
    for (int i = 0; i < 300; i++) {
      many.append("data: ").append(HEAD).append("\"choices\":[{\"index\":0,\"delta\":");
      many.append("{\"content\":\"word ").append(i).append("\"}}],\"usage\":null}\n\n");
    }
    String sent = many.append(USAGE_CHUNK).append("data: [DONE]\n\n").toString();
    int[] reads = new int[1];
    InputStream all =
        new ByteArrayInputStream(sent.getBytes(UTF_8)) {
          @Override
          public synchronized int read(byte[] b, int off, int len) {
            reads[0]++;
            return super.read(b, off, len);
          }
        };
    RecordingBodyListener bulkListener = new RecordingBodyListener();
    SseBody bulk = new SseBody(all, bulkListener, () -> false, false, true);
    String expected = sent.replace(USAGE_CHUNK, "").replace(",\"usage\":null", "");

    // read in place (readScratch): the body's own buffer is not needed
    assertThat(new String(readAllScratch(bulk, 8192), UTF_8)).isEqualTo(expected);
    assertThat(bulk.capacity()).isLessThan(1024);
    assertThat(reads[0]).isLessThan(sent.length() / 1024);
    assertThat(bulkListener.onlyEnd().facts().usage()).isEqualTo(CHAT_USAGE);

    // read (InputStream's contract): through the body's own buffer, which grows for bulk reads
    reads[0] = 0;
    all.reset();
    RecordingBodyListener contractListener = new RecordingBodyListener();
    SseBody contract = new SseBody(all, contractListener, () -> false, false, true);
    int[] peak = new int[1];
    assertThat(readAllNotingCapacity(contract, 8192, peak)).isEqualTo(expected);
    assertThat(peak[0]).isBetween(2048, 4096);
    // read to its end: the buffer went back for another stream
    assertThat(contract.capacity()).isZero();
    assertThat(reads[0]).isLessThan(sent.length() / 1024);
    assertThat(contractListener.onlyEnd().facts().usage()).isEqualTo(CHAT_USAGE);

    reads[0] = 0;
    all.reset();
    RecordingBodyListener smallListener = new RecordingBodyListener();
    SseBody small = new SseBody(all, smallListener, () -> false, false, true);

    assertThat(readAllNotingCapacity(small, 64, peak)).isEqualTo(expected);
    assertThat(peak[0]).isBetween(2048, 4096);
    assertThat(small.capacity()).isZero();
    assertThat(reads[0]).isLessThan(sent.length() / 1024);
    assertThat(smallListener.onlyEnd().facts().usage()).isEqualTo(CHAT_USAGE);
  }

  /**
   * A stream read to its end gives its deferred chunks back for the next stream; one closed before
   * its end (perhaps from another thread while a read is under way) gives nothing back.
   */
  @Test
  void onlyAStreamReadToItsEndGivesItsScratchBack() throws IOException {
    for (int i = 0; i < 16; i++) {
      DeferredChunks.take(); // this thread's slots emptied, so that what is given back has room
    }
    int spares = DeferredChunks.spares();
    byte[] sent = upstream("\n").getBytes(UTF_8);

    SseBody closedEarly = chat(new PiecewiseInputStream(sent, 7), true);
    int read = 0;
    while (read < sent.length / 2) {
      read += closedEarly.read(new byte[8192], 0, 8192);
    }
    closedEarly.close();
    assertThat(DeferredChunks.spares()).isEqualTo(spares);

    SseBody readToEnd = chat(new PiecewiseInputStream(sent, 3, 7), true);
    assertThat(new String(readAll(readToEnd, 8192), UTF_8)).isEqualTo(withoutUsage("\n"));
    assertThat(DeferredChunks.spares()).isEqualTo(spares + 1);
  }

  @Test
  void aChunkPastTheBoundIsPassedOnUnreadSoItsUsageIsUnknown() throws IOException {
    String padded =
        USAGE_CHUNK.replace(
            "\"choices\":[]", "\"choices\":[],\"pad\":\"" + "p".repeat(2_000) + "\"");
    String sent = upstream("\n").replace(USAGE_CHUNK, padded);
    SseBody body =
        new SseBody(
            new PiecewiseInputStream(sent.getBytes(UTF_8), 7),
            listener,
            () -> false,
            false,
            true,
            1024);

    String seen = readAllText(body);

    assertThat(seen)
        .isEqualTo(
            withoutUsage("\n")
                .replace("data: [DONE]", padded.replace(",\"usage\":null", "") + "data: [DONE]"));
    assertThat(listener.onlyEnd().facts().usage()).isNull();
    assertThat(listener.onlyEnd().facts().text().toString()).isEqualTo(CHAT_TEXT);
  }

  @ParameterizedTest(name = "hideUsage={0}")
  @ValueSource(booleans = {true, false})
  void aLineOfHundredsOfMegabytesStreamsThroughInBoundedMemory(boolean hideUsage)
      throws IOException {
    long lineBytes = 64L << 20; // sixteen times the bound
    InputStream upstream =
        new InputStream() {
          long served;

          @Override
          public int read() {
            throw new UnsupportedOperationException();
          }

          @Override
          public int read(byte[] b, int off, int len) {
            if (served == lineBytes + 2) {
              return -1;
            }
            int n = (int) Math.min(len, lineBytes + 2 - served);
            java.util.Arrays.fill(b, off, off + n, (byte) 'x');
            if (served + n > lineBytes) {
              for (long i = Math.max(served, lineBytes); i < served + n; i++) {
                b[off + (int) (i - served)] = '\n';
              }
            }
            served += n;
            return n;
          }
        };
    SseBody body = chat(upstream, hideUsage);

    long seen = 0;
    byte[] buffer = new byte[64 << 10];
    for (int n; (n = body.read(buffer, 0, buffer.length)) != -1; ) {
      seen += n;
    }

    assertThat(seen).isEqualTo(lineBytes + 2);
    assertThat(body.capacity()).isLessThanOrEqualTo(2 * SseBody.MAX_EVENT_BYTES + (64 << 10));
    assertThat(listener.onlyEnd().outcome()).isEqualTo(CallOutcome.TRUNCATED);
  }

  // ---------------------------------------------------------------- facts

  @ParameterizedTest(name = "pieces {0}, {2}")
  @MethodSource("piecesAndLineEndings")
  void factsAreReadFromAChoppedStream(String name, int[] sizes, String ending) throws IOException {
    SseBody body =
        chat(new PiecewiseInputStream(upstream(lineEnding(ending)).getBytes(UTF_8), sizes), true);
    body.keepText();

    readAll(body, 8192);

    ResponseReadout facts = listener.onlyEnd().facts();
    assertThat(facts.usage()).isEqualTo(CHAT_USAGE);
    assertThat(facts.model()).isEqualTo("gpt-4o-2024-08-06");
    assertThat(facts.text().toString()).isEqualTo(CHAT_TEXT);
    assertThat(facts.complete()).isTrue();
  }

  @Test
  void factsAreReadWhenUsageIsVisibleToo() throws IOException {
    SseBody body = chat(new PiecewiseInputStream(upstream("\n").getBytes(UTF_8), 1, 7), false);
    body.keepText();

    readAll(body, 3);

    ResponseReadout facts = listener.onlyEnd().facts();
    assertThat(facts.usage()).isEqualTo(CHAT_USAGE);
    assertThat(facts.model()).isEqualTo("gpt-4o-2024-08-06");
    assertThat(facts.text().toString()).isEqualTo(CHAT_TEXT);
    assertThat(facts.complete()).isTrue();
  }

  @Test
  void streamWithoutUsageLeavesUsageUnknownButKeepsTheText() throws IOException {
    SseBody body = chat(new PiecewiseInputStream(withoutUsage("\n").getBytes(UTF_8), 5), false);

    readAll(body, 8192);

    assertThat(listener.onlyEnd().facts().usage()).isNull();
    assertThat(listener.onlyEnd().facts().text().toString()).isEqualTo(CHAT_TEXT);
  }

  // ---------------------------------------------------------------- how the body ended

  @ParameterizedTest(name = "hideUsage={0}")
  @ValueSource(booleans = {true, false})
  void streamEndingAfterDoneEndsWithSuccess(boolean hideUsage) throws IOException {
    SseBody body = chat(new PiecewiseInputStream(upstream("\n").getBytes(UTF_8), 7), hideUsage);

    readAll(body, 8192);

    RecordingBodyListener.End end = listener.onlyEnd();
    assertThat(end.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(end.failure()).isNull();
  }

  @ParameterizedTest(name = "hideUsage={0}")
  @ValueSource(booleans = {true, false})
  void streamEndingWithoutDoneEndsTruncatedWithWhatWasRead(boolean hideUsage) throws IOException {
    String stream = upstream("\n").replace("data: [DONE]\n\n", "");
    SseBody body = chat(new PiecewiseInputStream(stream.getBytes(UTF_8), 7), hideUsage);

    readAll(body, 8192);

    RecordingBodyListener.End end = listener.onlyEnd();
    assertThat(end.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(end.failure()).isNull();
    assertThat(end.facts().complete()).isFalse();
    assertThat(end.facts().usage()).isEqualTo(CHAT_USAGE);
  }

  @Test
  void bodyEndsOnlyWhenUpstreamReportsItsEnd() throws IOException {
    byte[] sent = upstream("\n").getBytes(UTF_8);
    SseBody body = chat(new PiecewiseInputStream(sent, 7), false);
    byte[] buffer = new byte[sent.length];
    int read = 0;
    while (read < sent.length) {
      read += body.read(buffer, read, sent.length - read);
    }
    int endsBeforeEof = listener.ends.size();

    int eof = body.read(buffer, 0, 1);

    assertThat(endsBeforeEof).isZero();
    assertThat(eof).isEqualTo(-1);
    assertThat(listener.onlyEnd().outcome()).isEqualTo(CallOutcome.SUCCESS);
  }

  @ParameterizedTest(name = "hideUsage={0}")
  @ValueSource(booleans = {true, false})
  void readingAgainAfterTheEndNeitherReadsNorReportsAgain(boolean hideUsage) throws IOException {
    SseBody body = chat(new PiecewiseInputStream(upstream("\n").getBytes(UTF_8), 7), hideUsage);
    readAll(body, 8192);

    int again = body.read(new byte[16], 0, 16);
    body.close();

    assertThat(again).isEqualTo(-1);
    assertThat(listener.ends).hasSize(1);
    assertThat(listener.ends.get(0).outcome()).isEqualTo(CallOutcome.SUCCESS);
  }

  @ParameterizedTest(name = "hideUsage={0}")
  @ValueSource(booleans = {true, false})
  void closeBeforeTheEndEndsCancelledOnceAndClosesUpstream(boolean hideUsage) throws IOException {
    PiecewiseInputStream upstream = new PiecewiseInputStream(upstream("\n").getBytes(UTF_8), 7);
    SseBody body = chat(upstream, hideUsage);
    body.read(new byte[100], 0, 100);

    body.close();
    body.close();

    assertThat(upstream.closed).isTrue();
    assertThat(listener.ends).hasSize(1);
    assertThat(listener.ends.get(0).outcome()).isEqualTo(CallOutcome.CANCELLED);
    assertThat(listener.ends.get(0).failure()).isNull();
  }

  /**
   * A body hiding usage reads ahead of the application no further than a read into its own buffer
   * would (its first buffer's size), even into the application's large buffer: a stream the backend
   * sent whole, closed after its first event, was not read to its end marker, so it ends cancelled,
   * as before bodies read in place.
   */
  @Test
  void aHidingBodyClosedEarlyHasNotReadAheadToTheEndMarker() throws IOException {
    StringBuilder many = new StringBuilder();
    for (int i = 0; i < 20; i++) {
      many.append("data: ").append(HEAD).append("\"choices\":[{\"index\":0,\"delta\":");
      many.append("{\"content\":\"word ").append(i).append("\"}}],\"usage\":null}\n\n");
    }
    byte[] sent = many.append(USAGE_CHUNK).append("data: [DONE]\n\n").toString().getBytes(UTF_8);
    SseBody body = chat(new ByteArrayInputStream(sent), true);

    assertThat(body.read(new byte[8192], 0, 8192)).isPositive();
    body.close();

    assertThat(listener.onlyEnd().outcome()).isEqualTo(CallOutcome.CANCELLED);
  }

  @ParameterizedTest(name = "hideUsage={0}")
  @ValueSource(booleans = {true, false})
  void closeAfterDoneButBeforeEofEndsWithSuccess(boolean hideUsage) throws IOException {
    String stream = upstream("\n");
    SseBody body = chat(new PiecewiseInputStream(stream.getBytes(UTF_8), 7), hideUsage);
    String expected = hideUsage ? withoutUsage("\n") : stream;
    byte[] seen = new byte[expected.getBytes(UTF_8).length];
    int read = 0;
    while (read < seen.length) { // the app reads up to and including [DONE], then stops
      read += body.read(seen, read, seen.length - read);
    }

    body.close();

    assertThat(listener.onlyEnd().outcome()).isEqualTo(CallOutcome.SUCCESS);
  }

  /** A short chat stream: one chunk, then the end marker (one read takes it all). */
  private static final String ONE_CHUNK =
      "data: "
          + HEAD
          + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},"
          + "\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";

  /** Closes {@code body} on another thread, as an application cancelling a stream does. */
  private static void closeOnAnotherThread(InputStream body) {
    Thread closer =
        new Thread(
            () -> {
              try {
                body.close();
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    closer.start();
    try {
      closer.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    assertThat(closer.isAlive()).as("the close returned").isFalse();
  }

  private static int readOnce(SseBody body, byte[] buffer, boolean scratch) throws IOException {
    return scratch
        ? body.readScratch(buffer, 0, buffer.length)
        : body.read(buffer, 0, buffer.length);
  }

  /**
   * The application closes the body on another thread while a read handles the bytes it just took
   * from upstream, the end marker among them (the close comes at the first event, on the reading
   * thread's hook): that read hands the whole stream on, so the call ends as the application saw
   * it, a success, not cancelled.
   */
  @ParameterizedTest(name = "hideUsage={0}, scratch={1}")
  @CsvSource({"true, false", "true, true", "false, false", "false, true"})
  void aCloseWhileAReadHandlesTheEndMarkerEndsAsThatReadHandedOn(boolean hideUsage, boolean scratch)
      throws IOException {
    SseBody[] body = new SseBody[1];
    BodyListener closesAtTheFirstEvent =
        new BodyListener() {
          @Override
          public void firstBytes() {
            listener.firstBytes();
          }

          @Override
          public void firstEvent() {
            closeOnAnotherThread(body[0]); // the read has the end marker, not handled yet
          }

          @Override
          public void bodyEnded(CallOutcome outcome, ResponseReadout readout, Throwable failure) {
            listener.bodyEnded(outcome, readout, failure);
          }
        };
    body[0] =
        new SseBody(
            new ByteArrayInputStream(ONE_CHUNK.getBytes(UTF_8)),
            closesAtTheFirstEvent,
            () -> false,
            false,
            hideUsage);
    byte[] buffer = new byte[8192];

    int n = readOnce(body[0], buffer, scratch);

    assertThat(new String(buffer, 0, n, UTF_8)).isEqualTo(ONE_CHUNK);
    assertThat(listener.onlyEnd().outcome()).isEqualTo(CallOutcome.SUCCESS);
  }

  /**
   * The application closes the body on another thread while a read waits on upstream, which then
   * returns the stream's end: the body was closed, so that read hands nothing on (it fails as a
   * read of a closed body does) and the call ends cancelled, as the application saw it.
   */
  @ParameterizedTest(name = "hideUsage={0}, scratch={1}")
  @CsvSource({"true, false", "true, true", "false, false", "false, true"})
  void aCloseWhileAReadWaitsOnUpstreamEndsCancelledAndThatReadHandsNothingOn(
      boolean hideUsage, boolean scratch) throws IOException {
    SseBody[] body = new SseBody[1];
    InputStream upstream =
        new ByteArrayInputStream(ONE_CHUNK.getBytes(UTF_8)) {
          private boolean closedOnce;

          @Override
          public synchronized int read(byte[] b, int off, int len) {
            if (!closedOnce) {
              closedOnce = true;
              closeOnAnotherThread(body[0]); // closed as the bytes arrive
            }
            return super.read(b, off, len);
          }
        };
    body[0] = chat(upstream, hideUsage);
    byte[] buffer = new byte[8192];

    assertThatThrownBy(() -> readOnce(body[0], buffer, scratch))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("closed");

    assertThat(listener.onlyEnd().outcome()).isEqualTo(CallOutcome.CANCELLED);
  }

  @Test
  void closeBeforeAnyReadEndsCancelled() throws IOException {
    SseBody body = chat(new PiecewiseInputStream(upstream("\n").getBytes(UTF_8), 7), true);

    body.close();

    assertThat(listener.onlyEnd().outcome()).isEqualTo(CallOutcome.CANCELLED);
    assertThat(listener.firstBytes).isZero();
  }

  @ParameterizedTest(name = "hideUsage={0}, cancelled={1} -> {2}")
  @CsvSource({
    "true, false, TRUNCATED",
    "false, false, TRUNCATED",
    "true, true, CANCELLED",
    "false, true, CANCELLED"
  })
  void failedReadEndsTruncatedOrCancelledAsTheCallWasCancelled(
      boolean hideUsage, boolean cancelled, CallOutcome expected) throws IOException {
    byte[] sent = upstream("\n").getBytes(UTF_8);
    PiecewiseInputStream upstream = new PiecewiseInputStream(sent, 7).failingAfter(sent.length / 2);
    BooleanSupplier callCanceled = () -> cancelled;
    SseBody body = new SseBody(upstream, listener, callCanceled, false, hideUsage);

    assertThatThrownBy(() -> readAll(body, 8192)).isSameAs(upstream.failure);

    RecordingBodyListener.End end = listener.onlyEnd();
    assertThat(end.outcome()).isEqualTo(expected);
    assertThat(end.failure()).isSameAs(upstream.failure);
  }

  @Test
  void closeAfterAFailedReadDoesNotReportAgain() throws IOException {
    byte[] sent = upstream("\n").getBytes(UTF_8);
    PiecewiseInputStream upstream = new PiecewiseInputStream(sent, 7).failingAfter(20);
    SseBody body = chat(upstream, true);
    assertThatThrownBy(() -> readAll(body, 8192)).isInstanceOf(IOException.class);

    body.close();

    assertThat(listener.ends).hasSize(1);
    assertThat(listener.ends.get(0).outcome()).isEqualTo(CallOutcome.TRUNCATED);
  }

  @ParameterizedTest(name = "hideUsage={0}")
  @ValueSource(booleans = {true, false})
  void firstBytesIsReportedOnceWhenTheFirstBytesArrive(boolean hideUsage) throws IOException {
    SseBody body = chat(new PiecewiseInputStream(upstream("\n").getBytes(UTF_8), 1, 2), hideUsage);
    int beforeReading = listener.firstBytes;

    readAll(body, 1);

    assertThat(beforeReading).isZero();
    assertThat(listener.firstBytes).isEqualTo(1);
  }

  @Test
  void emptyStreamEndsTruncatedWithoutFirstBytes() throws IOException {
    SseBody body = chat(new PiecewiseInputStream(new byte[0], 1), true);

    int n = body.read(new byte[8], 0, 8);

    assertThat(n).isEqualTo(-1);
    assertThat(listener.firstBytes).isZero();
    assertThat(listener.onlyEnd().outcome()).isEqualTo(CallOutcome.TRUNCATED);
  }

  @Test
  void zeroLengthReadReadsNothing() throws IOException {
    PiecewiseInputStream upstream = new PiecewiseInputStream(upstream("\n").getBytes(UTF_8), 7);
    SseBody body = chat(upstream, true);

    int n = body.read(new byte[8], 0, 0);

    assertThat(n).isZero();
    assertThat(upstream.position).isZero();
  }

  // ---------------------------------------------------------------- Responses API

  @ParameterizedTest(name = "pieces {0}")
  @MethodSource("pieces")
  void responsesStreamReadsUsageFromResponseCompleted(String name, int[] sizes) throws IOException {
    byte[] sent = RESPONSES_STREAM.replace("%COMPLETED", RESPONSES_COMPLETED).getBytes(UTF_8);
    SseBody body =
        new SseBody(new PiecewiseInputStream(sent, sizes), listener, () -> false, true, false);

    byte[] seen = readAll(body, 8192);

    assertThat(seen).isEqualTo(sent);
    RecordingBodyListener.End end = listener.onlyEnd();
    assertThat(end.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(end.facts().usage()).isEqualTo(new Usage(9, 2, 11, 4, 1));
    assertThat(end.facts().model()).isEqualTo("gpt-4.1-2025-04-14");
    assertThat(end.facts().text().toString()).isEqualTo("Héllo ✓");
    assertThat(end.facts().complete()).isTrue();
  }

  @Test
  void responsesStreamWithoutResponseCompletedEndsTruncated() throws IOException {
    byte[] sent = RESPONSES_STREAM.replace("%COMPLETED", "").getBytes(UTF_8);
    SseBody body =
        new SseBody(new PiecewiseInputStream(sent, 3), listener, () -> false, true, false);

    readAll(body, 8192);

    RecordingBodyListener.End end = listener.onlyEnd();
    assertThat(end.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(end.facts().usage()).isNull();
    assertThat(end.facts().model()).isEqualTo("gpt-4.1");
  }

  @Test
  void aResponsesStreamsAudioIsNotTextToEstimateOutputTokensWith() throws IOException {
    String audio = java.util.Base64.getEncoder().encodeToString(new byte[3000]); // PCM, 4000 chars
    String sent =
        "event: response.created\n"
            + "data: {\"type\":\"response.created\",\"response\":{\"id\":\"r1\","
            + "\"model\":\"gpt-4o-audio-preview\",\"usage\":null}}\n\n"
            + "event: response.audio.transcript.delta\n"
            + "data: {\"type\":\"response.audio.transcript.delta\",\"delta\":\"Hello\"}\n\n"
            + "event: response.audio.delta\n"
            + "data: {\"type\":\"response.audio.delta\",\"delta\":\""
            + audio
            + "\"}\n\n"; // cut before response.completed: settled on an estimate
    SseBody body =
        new SseBody(
            new PiecewiseInputStream(sent.getBytes(UTF_8), 7), listener, () -> false, true, false);

    readAll(body, 8192);

    RecordingBodyListener.End end = listener.onlyEnd();
    assertThat(end.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(end.facts().usage()).isNull();
    assertThat(end.facts().text().toString()).isEqualTo("Hello");
  }

  @Test
  void responsesStreamWithCrlfReadsUsage() throws IOException {
    byte[] sent =
        crlf(RESPONSES_STREAM.replace("%COMPLETED", RESPONSES_COMPLETED), "\r\n").getBytes(UTF_8);
    SseBody body =
        new SseBody(new PiecewiseInputStream(sent, 1), listener, () -> false, true, false);

    byte[] seen = readAll(body, 8192);

    assertThat(seen).isEqualTo(sent);
    assertThat(listener.onlyEnd().facts().usage()).isEqualTo(new Usage(9, 2, 11, 4, 1));
  }

  @Test
  void responsesEventsAreReadWhateverTheOrderOfTheirMembers() throws IOException {
    String stream =
        "data: {\"delta\":\"a\",\"type\":\"response.output_text.delta\"}\n\n"
            + "data: {\"response\":{\"usage\":{\"input_tokens\":4,\"output_tokens\":1,"
            + "\"total_tokens\":5},\"output\":[{\"content\":[{\"text\":\"a\"}]}],"
            + "\"model\":\"gpt-4.1\"},\"type\":\"response.incomplete\"}\n\n";
    SseBody body =
        new SseBody(
            new PiecewiseInputStream(stream.getBytes(UTF_8), 5),
            listener,
            () -> false,
            true,
            false);

    readAll(body, 8192);

    RecordingBodyListener.End end = listener.onlyEnd();
    assertThat(end.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(end.facts().usage()).isEqualTo(Usage.of(4, 1));
    assertThat(end.facts().model()).isEqualTo("gpt-4.1");
    assertThat(end.facts().text().toString()).isEqualTo("a");
  }

  @Test
  void azureAnnotationChunksWithAnEmptyModelDoNotReplaceTheAnsweringModel() throws IOException {
    // Azure OpenAI's asynchronous content filter: its prompt results and its annotations come in
    // chunks whose id and model are empty; a block caught mid-answer is such an annotation, then
    // [DONE], without a usage chunk.
    String stream =
        "data: {\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\","
            + "\"prompt_filter_results\":[{\"prompt_index\":0,\"content_filter_results\":{}}]}\n\n"
            + "data: {\"choices\":[{\"delta\":{\"content\":\"Hello\",\"role\":\"assistant\"},"
            + "\"finish_reason\":null,\"index\":0}],\"created\":1,\"id\":\"chatcmpl-1\","
            + "\"model\":\"gpt-4o-2024-11-20\",\"object\":\"chat.completion.chunk\","
            + "\"usage\":null}\n\n"
            + "data: {\"choices\":[{\"content_filter_offsets\":{\"check_offset\":5,"
            + "\"start_offset\":0,\"end_offset\":5},\"content_filter_results\":"
            + "{\"custom_blocklists\":[{\"filtered\":true,\"id\":\"b\"}]},"
            + "\"finish_reason\":\"content_filter\",\"index\":0}],\"created\":0,\"id\":\"\","
            + "\"model\":\"\",\"object\":\"\"}\n\n"
            + "data: [DONE]\n\n";
    for (boolean hide : new boolean[] {false, true}) {
      RecordingBodyListener heard = new RecordingBodyListener();
      SseBody body =
          new SseBody(
              new PiecewiseInputStream(stream.getBytes(UTF_8), 7), heard, () -> false, false, hide);

      readAll(body, 8192);

      RecordingBodyListener.End end = heard.onlyEnd();
      assertThat(end.outcome()).isEqualTo(CallOutcome.SUCCESS);
      assertThat(end.facts().usage()).isNull();
      assertThat(end.facts().model()).as("hide " + hide).isEqualTo("gpt-4o-2024-11-20");
    }
  }

  @Test
  void aFailedResponsesStreamEndsTruncatedChargedTheUsageItReported() throws IOException {
    String stream =
        "event: response.created\n"
            + "data: {\"type\":\"response.created\",\"response\":{\"id\":\"resp_1\","
            + "\"status\":\"in_progress\",\"model\":\"gpt-4.1\",\"usage\":null}}\n\n"
            + "event: response.output_text.delta\n"
            + "data: {\"type\":\"response.output_text.delta\",\"delta\":\"Hel\"}\n\n"
            + "event: response.failed\n"
            + "data: {\"type\":\"response.failed\",\"response\":{\"id\":\"resp_1\","
            + "\"status\":\"failed\",\"error\":{\"code\":\"server_error\","
            + "\"message\":\"The model failed to generate a response.\"},"
            + "\"model\":\"gpt-4.1\",\"usage\":{\"input_tokens\":7,\"output_tokens\":1,"
            + "\"total_tokens\":8}}}\n\n";
    byte[] sent = stream.getBytes(UTF_8);
    SseBody body =
        new SseBody(new PiecewiseInputStream(sent, 3), listener, () -> false, true, false);

    assertThat(readAll(body, 8192)).isEqualTo(sent);
    body.close();

    // A failed response is not an answer: the call is charged what the backend reported, but it
    // did not succeed (so it is neither counted as a success nor stored in the response cache).
    RecordingBodyListener.End end = listener.onlyEnd();
    assertThat(end.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(end.facts().complete()).isFalse();
    assertThat(end.facts().usage()).isEqualTo(Usage.of(7, 1));
    assertThat(end.facts().model()).isEqualTo("gpt-4.1");
  }

  @Test
  void responsesEventsThatAreNotObjectsOrNotWholeTeachNothing() throws IOException {
    String stream =
        "data: {\"type\":\"response.output_text.delta\",\"delta\":\"x\"\n\n"
            + "data: [\"response.completed\"]\n\n"
            + "data: {\"type\":\"response.completed\",\"response\":{\"model\":\"m\"}\n\n";
    SseBody body =
        new SseBody(
            new PiecewiseInputStream(stream.getBytes(UTF_8), 5),
            listener,
            () -> false,
            true,
            false);

    assertThat(readAllText(body)).isEqualTo(stream);

    RecordingBodyListener.End end = listener.onlyEnd();
    assertThat(end.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(end.facts().text().toString()).isEmpty();
    assertThat(end.facts().model()).isNull();
  }

  // ---------------------------------------------------------------- event data

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "space after colon | `data: {\"a\":1}\n\n` | `{\"a\":1}`",
        "no space | `data:{\"a\":1}\n\n` | `{\"a\":1}`",
        "only one space removed | `data:  x\n\n` | ` x`",
        "crlf | `data: x\r\n\r\n` | x",
        "cr | `data: x\r\r` | x",
        "lines ended three ways | `data: a\rdata: b\r\ndata: c\n\n` | `a\nb\nc`",
        "with event and id | `event: e\nid: 1\ndata: x\n\n` | x",
        "two data lines | `data: a\ndata: b\n\n` | `a\nb`",
        "empty data | `data:\n\n` | ``"
      })
  void dataOfJoinsTheEventsDataLines(String name, String event, String expected) {
    assertThat(dataOf(event)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {": ping\n\n", "event: x\n\n", "id: 1\n\n", "\n"})
  void dataOfIsNullForEventsWithoutData(String event) {
    assertThat(dataOf(event)).isNull();
  }

  @Test
  void dataOfASingleLineIsFoundInPlaceWithinTheBuffer() {
    byte[] buffer = "xx: 1\ndata: {\"a\":1}\r\n\r\nyy".getBytes(UTF_8);

    SseEventFramer.Data data = SseEventFramer.dataOf(buffer, 6, buffer.length - 2);

    assertThat(data.bytes()).isSameAs(buffer);
    assertThat(new String(buffer, data.from(), data.to() - data.from(), UTF_8))
        .isEqualTo("{\"a\":1}");
  }

  @Test
  void lineEndsAreFoundWhereverTheyLieAndWhereverTheSearchStarts() {
    SplittableRandom random = new SplittableRandom(7);
    for (int round = 0; round < 4000; round++) {
      byte[] bytes = new byte[random.nextInt(40)];
      for (int i = 0; i < bytes.length; i++) {
        // mostly bytes next to '\n' and '\r' in value, some high bytes, a few line ends
        bytes[i] =
            (byte)
                (random.nextInt(8) == 0
                    ? (random.nextBoolean() ? '\n' : '\r')
                    : random.nextInt(4) == 0 ? 0x80 | random.nextInt(128) : random.nextInt(8, 15));
      }
      int from = random.nextInt(bytes.length + 1);
      int to = from + random.nextInt(bytes.length - from + 1);
      int expected = -1;
      for (int i = from; i < to && expected < 0; i++) {
        expected = bytes[i] == '\n' || bytes[i] == '\r' ? i : -1;
      }

      assertThat(SseBody.indexOfLineEnd(bytes, from, to)).isEqualTo(expected);
    }
  }

  /** The event's data as text, or null when it has none. */
  private static String dataOf(String event) {
    byte[] bytes = event.getBytes(UTF_8);
    SseEventFramer.Data data = SseEventFramer.dataOf(bytes, 0, bytes.length);
    return data == null
        ? null
        : new String(data.bytes(), data.from(), data.to() - data.from(), UTF_8);
  }
}
