package dev.aigateway.core.adapter;

import dev.aigateway.core.pipeline.AttemptPlan;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An {@link AttemptSender} without any HTTP client: each backend (by id; {@code null} for a call
 * without a pool) answers as a test scripts it, one answer per attempt, the last one repeated.
 * Records what the loop asked of it.
 */
public final class ScriptedSender implements AttemptSender<ScriptedSender.Reply> {

  /** What a backend does with an attempt: answer with a reply, or throw. */
  public interface Script {
    Reply answer(AttemptPlan plan) throws IOException;
  }

  /** A scripted response. */
  static final class Reply {
    final String backendId;
    final int status;
    final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    final InputStream body;
    boolean discarded;
    final List<Duration> deadlines = new ArrayList<>();

    Reply(String backendId, int status, InputStream body, String... headers) {
      this.backendId = backendId;
      this.status = status;
      this.body = body;
      for (int i = 0; i < headers.length; i += 2) {
        this.headers.put(headers[i], headers[i + 1]);
      }
    }
  }

  private final Map<String, List<Script>> scripts = new HashMap<>();
  final List<AttemptPlan> sent = new ArrayList<>();
  final List<Reply> replies = new ArrayList<>();
  boolean canceled;

  /** Scripts the answers of a backend, one per attempt sent to it, the last one repeated. */
  public ScriptedSender on(String backendId, Script... answers) {
    scripts.put(backendId, new ArrayList<>(List.of(answers)));
    return this;
  }

  public static Script status(int status, String... headers) {
    return plan -> new Reply(plan.backendId(), status, text("{}"), headers);
  }

  public static Script json(String body) {
    return plan -> new Reply(plan.backendId(), 200, text(body), "Content-Type", "application/json");
  }

  public static Script events(InputStream body) {
    return plan -> new Reply(plan.backendId(), 200, body, "Content-Type", "text/event-stream");
  }

  public static Script throwing(RuntimeException e) {
    return plan -> {
      throw e;
    };
  }

  public static InputStream text(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
  }

  /** The ids of the backends attempts went to, in order. */
  public List<String> backendsTried() {
    List<String> ids = new ArrayList<>();
    sent.forEach(plan -> ids.add(plan.backendId()));
    return ids;
  }

  @Override
  public Reply send(AttemptPlan plan) throws IOException {
    sent.add(plan);
    List<Script> answers = scripts.get(plan.backendId());
    if (answers == null) {
      throw new AssertionError("no script for backend " + plan.backendId());
    }
    Script script = answers.size() > 1 ? answers.remove(0) : answers.get(0);
    Reply reply = script.answer(plan);
    if (reply != null) {
      replies.add(reply);
    }
    return reply;
  }

  @Override
  public int status(Reply response) {
    return response.status;
  }

  @Override
  public String header(Reply response, String name) {
    return response.headers.get(name);
  }

  @Override
  public InputStream body(Reply response) {
    return response.body;
  }

  @Override
  public void readDeadline(Reply response, Duration timeout) {
    response.deadlines.add(timeout);
  }

  @Override
  public void discard(Reply response) {
    response.discarded = true;
  }

  @Override
  public boolean canceled() {
    return canceled;
  }

  /** Whether the cancellation is the client's own call timeout. */
  boolean timedOut;

  @Override
  public boolean timedOut() {
    return timedOut;
  }
}
