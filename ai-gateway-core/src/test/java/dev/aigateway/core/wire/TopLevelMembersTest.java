package dev.aigateway.core.wire;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class TopLevelMembersTest {

  private static final String[] MODELS = {
    "gpt-4o-mini",
    "gpt-4o",
    "gpt-4o-mini",
    "gpt-4o-minj",
    "gpt-4o-mini-2024-07-18",
    "m\u00f6del",
    "",
    "gpt-4o-mini",
    "GPT-4O-MINI",
    "gpt-4o-mini "
  };

  /**
   * Whatever object any walk read before (in this walker, or in another: the model read last is
   * shared), a walk reads the model its own object names.
   */
  @Test
  void eachWalkReadsItsOwnObjectsModelWhateverWalksReadBefore() {
    Random random = new Random(5);
    TopLevelMembers reused = new TopLevelMembers(StrictJson.NOT_NOTING, false);
    for (int run = 0; run < 2_000; run++) {
      String model = MODELS[random.nextInt(MODELS.length)];
      byte[] json =
          ("{\"id\":\"c\",\"model\":\"" + model + "\",\"choices\":[],\"usage\":null}")
              .getBytes(UTF_8);
      TopLevelMembers walker =
          random.nextBoolean() ? reused : new TopLevelMembers(StrictJson.NOT_NOTING, false);
      assertThat(walker.walk(json, 0, json.length)).isTrue();
      assertThat(walker.model()).isEqualTo(model);
    }
  }

  /**
   * An object with a top-level error object (an error reported with a 200) is left to Jackson,
   * which notes it; a null error, which every Responses API answer carries, is walked on its bytes.
   */
  @Test
  void anErrorObjectIsLeftToJacksonAndANullErrorIsWalked() {
    byte[] failed = "{\"error\":{\"message\":\"overloaded\",\"code\":500}}".getBytes(UTF_8);
    byte[] response =
        ("{\"id\":\"resp_1\",\"object\":\"response\",\"status\":\"completed\",\"error\":null,"
                + "\"model\":\"gpt-4o\",\"output\":[],\"usage\":{\"input_tokens\":5,"
                + "\"output_tokens\":2,\"total_tokens\":7}}")
            .getBytes(UTF_8);

    assertThat(new TopLevelMembers(new StrictJson()).walk(failed, 0, failed.length)).isFalse();
    TopLevelMembers walker = new TopLevelMembers(new StrictJson());
    assertThat(walker.walk(response, 0, response.length)).isTrue();
    assertThat(walker.model()).isEqualTo("gpt-4o");
    assertThat(walker.usages()).isEqualTo(1);
  }

  /** A model written with escapes is refused (left to Jackson), whatever model was read before. */
  @Test
  void aModelWithEscapesIsRefusedAfterTheSameModelWithout() {
    TopLevelMembers walker = new TopLevelMembers(StrictJson.NOT_NOTING, false);
    byte[] plain = "{\"model\":\"gpt-4o\"}".getBytes(UTF_8);
    byte[] escaped = "{\"model\":\"gpt\\u002d4o\"}".getBytes(UTF_8);
    assertThat(walker.walk(plain, 0, plain.length)).isTrue();
    assertThat(walker.walk(escaped, 0, escaped.length)).isFalse();
    assertThat(new TopLevelMembers(StrictJson.NOT_NOTING, false).walk(escaped, 0, escaped.length))
        .isFalse();
    assertThat(walker.walk(plain, 0, plain.length)).isTrue();
    assertThat(walker.model()).isEqualTo("gpt-4o");
  }

  @Test
  void anObjectWithoutATextModelHasNoneAfterOneThatHadOne() {
    TopLevelMembers walker = new TopLevelMembers(StrictJson.NOT_NOTING, false);
    byte[] named = "{\"model\":\"gpt-4o\"}".getBytes(UTF_8);
    assertThat(walker.walk(named, 0, named.length)).isTrue();
    assertThat(walker.model()).isEqualTo("gpt-4o");

    for (String other : new String[] {"{\"model\":null}", "{\"model\":7}", "{\"id\":\"x\"}"}) {
      byte[] json = other.getBytes(UTF_8);
      assertThat(new TopLevelMembers(StrictJson.NOT_NOTING, false).walk(json, 0, json.length))
          .isTrue();
      assertThat(walker.walk(json, 0, json.length)).isTrue();
      assertThat(walker.model()).as(other).isNull();
    }
  }

  /**
   * A walk that resumes after the members of the object kept reads the model those members name
   * (the kept object's), even after walks of other objects naming other models; a model member
   * after the resumption is read from its own bytes. Each walk reads what a walk of the whole
   * object reads.
   */
  @Test
  void aWalkLikeTheKeptObjectReadsTheModelOfItsOwnBytes() {
    Random random = new Random(8);
    for (int run = 0; run < 2_000; run++) {
      String keptModel = MODELS[random.nextInt(MODELS.length)];
      String kept =
          "{\"id\":\"c\",\"model\":" + model(keptModel) + ",\"choices\":[1],\"usage\":null}";
      TopLevelMembers walker = new TopLevelMembers(new StrictJson());
      int from = random.nextInt(3);
      byte[] keptBytes = padded(kept, from);
      assertThat(walker.walk(keptBytes, from, keptBytes.length)).isTrue();
      walker.keepMembers(from);
      // Another object walked between (a chunk not kept), naming another model.
      byte[] between =
          ("{\"model\":" + model(MODELS[random.nextInt(MODELS.length)]) + "}").getBytes(UTF_8);
      if (random.nextBoolean()) {
        assertThat(walker.walk(between, 0, between.length)).isTrue();
      }
      String tail =
          switch (random.nextInt(4)) {
            case 0 -> "\"choices\":[2],\"usage\":null}";
            case 1 ->
                "\"choices\":[],\"model\":" + model(MODELS[random.nextInt(MODELS.length)]) + "}";
            case 2 -> "\"choices\":[{}],\"model\":7}";
            default -> "\"choices\":[3]}";
          };
      String next = "{\"id\":\"c\",\"model\":" + model(keptModel) + "," + tail;
      int at = random.nextInt(3);
      byte[] nextBytes = padded(next, at);
      int same = next.indexOf("\"choices\"") + 10; // into the choices' value: resumes there
      assertThat(walker.walkLikeKept(nextBytes, at, nextBytes.length, same)).isTrue();
      assertThat(walker.resumedAt()).isGreaterThan(at + next.indexOf("\"model\""));

      TopLevelMembers whole = new TopLevelMembers(new StrictJson());
      assertThat(whole.walk(nextBytes, at, nextBytes.length)).isTrue();
      assertThat(walker.model()).as(next).isEqualTo(whole.model());
      assertThat(walker.modelValue()).as(next).isEqualTo(whole.modelValue());
    }
  }

  private static String model(String model) {
    return model.isEmpty() ? "null" : "\"" + model + "\"";
  }

  private static byte[] padded(String json, int from) {
    byte[] bytes = json.getBytes(UTF_8);
    byte[] padded = new byte[from + bytes.length];
    System.arraycopy(bytes, 0, padded, from, bytes.length);
    return padded;
  }
}
