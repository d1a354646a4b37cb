package dev.aigateway.core.wire;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.Usage;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Tag("compute-bound")
class ChatChunkScannerTest {

  // ---------------------------------------------------------------- against Jackson

  /**
   * Whatever the chunks, one after the other: a chunk read without parsing is one Jackson reads,
   * and {@link ResponseReadout#readChunk} learns from it what the shape says (no usage, the same
   * null usage member to cut, the same model).
   */
  /** The model a readout learns from a chunk naming {@code model} (an empty one names none). */
  private static String learnt(String model) {
    ResponseReadout readout = new ResponseReadout();
    readout.learnUsage(model, null);
    return readout.model();
  }

  @Test
  void chunkReadWithoutParsingIsReadAsJacksonReadsIt() {
    int read = 0;
    int wellFormed = 0;
    int sharedSome = 0;
    int likeKeptCuts = 0;
    for (long seed = 0; seed < 3000; seed++) {
      RandomChatStream stream = new RandomChatStream(seed);
      SplittableRandom random = new SplittableRandom(seed);
      ChatChunkScanner shape = new ChatChunkScanner();
      byte[] previous = new byte[0];
      int cutOfKept = 0; // which kept chunk the cut below is of (see SseBody.noteNull)
      int cutFromValue = 0;
      int cutToValue = 0;
      for (String chunk : stream.chunks()) {
        boolean broken = random.nextInt(4) == 0;
        byte[] bytes = broken ? stream.broken(chunk.getBytes(UTF_8)) : chunk.getBytes(UTF_8);
        int from = random.nextInt(3); // within a larger array, as in the body's buffer
        int to = from + bytes.length;
        byte[] padded = pad(bytes, from, random.nextInt(3));
        // Compared with the eager reading of the same bytes, alone in their array.
        UsageMember expected = new UsageMember();
        ResponseReadout facts = new ResponseReadout();
        boolean parsed = facts.readChunk(bytes, 0, bytes.length, expected);

        int usage = shape.read(padded, from, to);
        byte[] before = previous;
        previous = bytes;

        String as = "seed " + seed + ": " + new String(bytes, UTF_8);
        wellFormed += broken ? 0 : 1;
        if (usage == ChatChunkScanner.OTHER) {
          continue;
        }
        read++;
        int shared = shape.sharedEnd();
        assertThat(shared).as(as).isLessThanOrEqualTo(Math.min(bytes.length, before.length));
        assertThat(Arrays.copyOfRange(bytes, bytes.length - shared, bytes.length))
            .as(as)
            .isEqualTo(Arrays.copyOfRange(before, before.length - shared, before.length));
        int start = shape.sharedStart();
        assertThat(start).as(as).isLessThanOrEqualTo(Math.min(bytes.length, before.length));
        assertThat(Arrays.copyOf(bytes, start)).as(as).isEqualTo(Arrays.copyOf(before, start));
        sharedSome += shared > 0 ? 1 : 0;
        if (usage == ChatChunkScanner.USAGE_ONLY) {
          assertThat(parsed).as(as).isTrue();
          assertThat(shape.usage()).as(as).isEqualTo(facts.usage());
          assertThat(learnt(shape.model())).as(as).isEqualTo(facts.model());
          assertThat(expected.usageOnly()).as(as).isTrue();
          continue;
        }
        UsageMember noted = new UsageMember();
        noted.noteNull(padded, from, to, usage);
        assertThat(parsed).as(as).isTrue();
        assertThat(facts.usage()).as(as).isNull();
        assertThat(learnt(shape.model())).as(as).isEqualTo(facts.model());
        assertThat(noted.usageOnly()).as(as).isEqualTo(expected.usageOnly()).isFalse();
        assertThat(noted.cutsNull()).as(as).isEqualTo(expected.cutsNull());
        if (noted.cutsNull()) {
          assertThat(noted.cutFrom() - from).as(as).isEqualTo(expected.cutFrom());
          assertThat(noted.cutTo() - from).as(as).isEqualTo(expected.cutTo());
          // A chunk like the one kept has its cut where the kept one had it, from the value.
          if (!shape.likeKept()) {
            cutOfKept = shape.keptCount();
            cutFromValue = noted.cutFrom() - usage;
            cutToValue = noted.cutTo() - usage;
          } else if (cutOfKept == shape.keptCount()) {
            assertThat(usage + cutFromValue - from).as(as).isEqualTo(expected.cutFrom());
            assertThat(usage + cutToValue - from).as(as).isEqualTo(expected.cutTo());
            likeKeptCuts++;
          }
        }
      }
    }
    assertThat(likeKeptCuts).as("cuts of chunks like the kept one").isGreaterThan(read / 5);
    // Not more: a third of the streams name their model with escapes, which Jackson reads.
    assertThat(read).as("chunks read without parsing").isGreaterThan(wellFormed * 2 / 3);
    assertThat(sharedSome).as("chunks known to end as the one before").isGreaterThan(read / 3);
  }

  @Test
  void jsonAcceptedByStrictJsonIsJsonToJackson() {
    SplittableRandom random = new SplittableRandom(11);
    StrictJson strict = new StrictJson();
    int accepted = 0;
    for (long seed = 0; seed < 2000; seed++) {
      RandomChatStream stream = new RandomChatStream(seed);
      for (String chunk : stream.chunks()) {
        byte[] bytes = stream.broken(chunk.getBytes(UTF_8));
        int at = random.nextInt(bytes.length + 1); // any value inside, too
        int start = StrictJson.skipSpace(bytes, at, bytes.length);
        int end = strict.value(bytes, start, bytes.length, 0);
        if (end < 0) {
          continue;
        }
        accepted++;
        assertThat(Json.parseOrNull(bytes, start, end - start))
            .as("%s from %d to %d", new String(bytes, UTF_8), start, end)
            .isNotNull();
      }
    }
    assertThat(accepted).isGreaterThan(1000);
  }

  // ---------------------------------------------------------------- what is left to Jackson

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"choices\":[{}],\"usage\":{\"prompt_tokens\":1}}", // usage and text
        "{\"usage\":{\"prompt_tokens\":1}}", // usage and no choices
        "{\"choices\":[],\"usage\":{\"prompt_tokens\":1},\"usage\":null}",
        "{\"choices\":[],\"usage\":{\"prompt_tokens\":-1}}", // a count UsageBytes leaves
        "{\"choices\":[],\"choices\":[1],\"usage\":{\"prompt_tokens\":1}}",
        "{\"usage\":[],\"choices\":[]}",
        "{\"usage\":0}",
        "{\"us\\u0061ge\":null}", // an escaped name could be usage: Jackson decides
        "{\"id\\n\":1}",
        "{\"model\":\"gpt\\/4\"}", // a model with escapes
        "[]",
        "hello",
        "{\"a\":1} {\"b\":2}",
        "{\"a\":1}x",
        "{\"a\":01}",
        "{\"a\":1.}",
        "{\"a\":-}",
        "{\"a\":tru}",
        "{\"a\":\"\u0001\"}",
        "{\"a\":\"\\x\"}",
        "{\"a\":\"\\u12\"}",
        "{\"a\":1,}",
        "{,\"usage\":null}",
        "{\"a\" 1}",
        "\uFEFF{}",
      })
  void chunkThatMayCarryUsageOrIsNotStrictJsonIsLeftToJackson(String chunk) {
    byte[] bytes = chunk.getBytes(UTF_8);

    assertThat(new ChatChunkScanner().read(bytes, 0, bytes.length))
        .isEqualTo(ChatChunkScanner.OTHER);
  }

  @Test
  void invalidUtf8IsLeftToJackson() {
    for (byte[] bad :
        List.of(
            new byte[] {(byte) 0xc0, (byte) 0x80}, // overlong
            new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, // a surrogate
            new byte[] {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, // past U+10FFFF
            new byte[] {(byte) 0xe2, (byte) 0x82}, // cut short
            new byte[] {(byte) 0x80})) {
      byte[] json = new byte[bad.length + 8];
      System.arraycopy("{\"a\":\"".getBytes(UTF_8), 0, json, 0, 6);
      System.arraycopy(bad, 0, json, 6, bad.length);
      json[6 + bad.length] = '"';
      json[7 + bad.length] = '}';

      assertThat(new ChatChunkScanner().read(json, 0, 8 + bad.length))
          .isEqualTo(ChatChunkScanner.OTHER);
    }
  }

  @Test
  void nestingDeeperThanTheLimitIsLeftToJackson() {
    String deep = "[".repeat(StrictJson.MAX_DEPTH) + "]".repeat(StrictJson.MAX_DEPTH);
    String deeper = "[" + deep + "]";

    assertThat(read("{\"a\":" + deep.substring(1, deep.length() - 1) + "}"))
        .isEqualTo(ChatChunkScanner.NO_USAGE);
    assertThat(read("{\"a\":" + deeper + "}")).isEqualTo(ChatChunkScanner.OTHER);
  }

  // ---------------------------------------------------------------- what is read

  @Test
  void chunkWithoutUsageIsReadWithItsModel() {
    ChatChunkScanner shape = new ChatChunkScanner();
    byte[] chunk =
        "{\"model\":\"gpt-4o\",\"choices\":[{\"delta\":{\"content\":\"é🌍\\n\"}}]}".getBytes(UTF_8);

    assertThat(shape.read(chunk, 0, chunk.length)).isEqualTo(ChatChunkScanner.NO_USAGE);
    assertThat(shape.model()).isEqualTo("gpt-4o");
  }

  @Test
  void chunkReportingUsageWithoutChoicesIsReadWithItsUsage() {
    ChatChunkScanner shape = new ChatChunkScanner();
    byte[] chunk =
        ("{\"model\":\"gpt-4o\",\"choices\":[ ],\"usage\":{\"prompt_tokens\":9,"
                + "\"completion_tokens\":2,\"total_tokens\":11}}")
            .getBytes(UTF_8);

    assertThat(shape.read(chunk, 0, chunk.length)).isEqualTo(ChatChunkScanner.USAGE_ONLY);
    assertThat(shape.usage()).isEqualTo(new Usage(9, 2, 11, 0, 0));
    assertThat(shape.model()).isEqualTo("gpt-4o");
  }

  @Test
  void firstNullUsageValueIsFound() {
    String chunk = "{\"usage\" : null,\"choices\":[],\"meta\":{\"usage\":1},\"usage\":null}";

    assertThat(read(chunk)).isEqualTo(chunk.indexOf("null"));
  }

  @Test
  void chunkDifferingOnlyInsideValueStringsIsComparedWithTheLastAndReadAlike() {
    ChatChunkScanner shape = new ChatChunkScanner();
    String template =
        "{\"id\":\"c1\",\"model\":\"%s\",\"choices\":[{\"delta\":{\"content\":"
            + "\"%s\"}}],\"usage\":null,\"obfuscation\":\"%s\"}";
    byte[] first = String.format(template, "m1", "Hello", "abc").getBytes(UTF_8);
    byte[] second = String.format(template, "m1", " wörld \\\"🌍\\\"", "").getBytes(UTF_8);
    byte[] third = String.format(template, "m2-longer", "", "x").getBytes(UTF_8);
    byte[] broken = String.format(template, "m1", "a\u0001", "").getBytes(UTF_8);
    byte[] escapedModel = String.format(template, "m\\/1", "a", "").getBytes(UTF_8);

    assertThat(shape.read(first, 0, first.length)).isEqualTo(indexOf(first, "null"));
    assertThat(shape.read(second, 0, second.length)).isEqualTo(indexOf(second, "null"));
    assertThat(shape.model()).isEqualTo("m1");
    assertThat(shape.read(third, 0, third.length)).isEqualTo(indexOf(third, "null"));
    assertThat(shape.model()).isEqualTo("m2-longer");
    assertThat(shape.read(broken, 0, broken.length)).isEqualTo(ChatChunkScanner.OTHER);
    assertThat(shape.read(escapedModel, 0, escapedModel.length)).isEqualTo(ChatChunkScanner.OTHER);
  }

  /**
   * A chunk found not like the kept one tells how many of its first bytes are the kept chunk's; the
   * framer looks for its line end after them, so they must hold no line break, whatever the chunks.
   */
  @Test
  void firstBytesOfAChunkNotLikeTheKeptOneAreTheKeptOnesWithoutLineBreaks() {
    int told = 0;
    for (long seed = 0; seed < 2000; seed++) {
      RandomChatStream stream = new RandomChatStream(seed);
      ChatChunkScanner shape = new ChatChunkScanner();
      for (String chunk : stream.chunks()) {
        byte[] bytes = (chunk + "\n\ndata: {}\n\n").getBytes(UTF_8); // what follows in the buffer
        int length = chunk.getBytes(UTF_8).length;
        if (shape.readLikeKept(bytes, 0, bytes.length) == ChatChunkScanner.OTHER) {
          int same = shape.sameAsKept();
          assertThat(same).isBetween(0, bytes.length);
          assertThat(SseBody.indexOfLineEnd(bytes, 0, same)).as(chunk).isEqualTo(-1);
          told += same > 0 ? 1 : 0;
          shape.read(bytes, 0, length); // as the body then reads it, whole
        }
      }
    }
    assertThat(told).as("chunks with first bytes known").isGreaterThan(1000);
  }

  @Test
  void chunkNotLikeTheKeptOneSharesItsFirstBytesUpToTheFirstDifference() {
    ChatChunkScanner shape = new ChatChunkScanner();
    String kept = "{\"model\":\"m\",\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"usage\":null}";
    String finish =
        "{\"model\":\"m\",\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}],"
            + "\"usage\":null}\n\n";
    byte[] first = kept.getBytes(UTF_8);
    byte[] other = finish.getBytes(UTF_8);

    assertThat(shape.read(first, 0, first.length)).isGreaterThan(0);
    assertThat(shape.readLikeKept(other, 0, other.length)).isEqualTo(ChatChunkScanner.OTHER);
    assertThat(shape.sameAsKept()).isEqualTo(Arrays.mismatch(first, other));
  }

  @Test
  void modelOfAChunkCheckedWholeIsTheOneItSpells() {
    ChatChunkScanner shape = new ChatChunkScanner();
    String[] models = {"gpt-4o", "gpt-4o", "gpt-4x", "gpt-4o-mini", "gpt-4é", "gpt-4é", "gpt-4o"};
    for (int i = 0; i < models.length; i++) {
      // Each differs from the one before outside value strings: each is checked whole.
      String extra = ",\"n\":" + "1".repeat(i + 1);
      byte[] chunk =
          ("{\"model\":\"" + models[i] + "\"" + extra + ",\"choices\":[],\"usage\":null}")
              .getBytes(UTF_8);

      assertThat(shape.read(chunk, 0, chunk.length)).isGreaterThan(0);
      assertThat(shape.likeKept()).isFalse();
      assertThat(shape.model()).isEqualTo(models[i]);
    }
  }

  @Test
  void chunkDifferingOutsideValueStringsIsCheckedWhole() {
    ChatChunkScanner shape = new ChatChunkScanner();
    byte[] first = "{\"a\":\"x\",\"n\":1}".getBytes(UTF_8);
    byte[] name = "{\"usage\":{\"b\":1},\"n\":1}".getBytes(UTF_8);
    byte[] number = "{\"a\":\"x\",\"n\":12}".getBytes(UTF_8);

    assertThat(shape.read(first, 0, first.length)).isEqualTo(ChatChunkScanner.NO_USAGE);
    assertThat(shape.read(name, 0, name.length)).isEqualTo(ChatChunkScanner.OTHER);
    assertThat(shape.read(number, 0, number.length)).isEqualTo(ChatChunkScanner.NO_USAGE);
  }

  private static int read(String chunk) {
    byte[] bytes = chunk.getBytes(UTF_8);
    return new ChatChunkScanner().read(bytes, 0, bytes.length);
  }

  private static int indexOf(byte[] bytes, String text) {
    return new String(bytes, ISO_8859_1).indexOf(text);
  }

  private static byte[] pad(byte[] bytes, int before, int after) {
    byte[] padded = new byte[before + bytes.length + after];
    Arrays.fill(padded, (byte) '"');
    System.arraycopy(bytes, 0, padded, before, bytes.length);
    return padded;
  }
}
