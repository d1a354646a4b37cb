package dev.aigateway.okhttp;

import dev.aigateway.core.agent.AgentCall;
import dev.aigateway.core.agent.AgentGovernance;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * The OkHttp side of MCP and A2A governance: sends a governed JSON-RPC POST (or answers it
 * locally), hands the core the answer to read as it passes, and lets other requests to those
 * servers (MCP listen streams and session ends, agent cards) through.
 */
final class AgentExchange {

  private static final MediaType JSON = MediaType.get("application/json");

  private AgentExchange() {}

  static Response intercept(
      Interceptor.Chain chain, AgentGovernance agents, AgentGovernance.Target target)
      throws IOException {
    Request request = withoutGatewayHeaders(chain.request(), agents);
    switch (target.kind()) {
      case MCP_SESSION:
        {
          AgentCall listen =
              agents.listen(
                  target,
                  request.method(),
                  // as the application sent it: the headers naming the consumer are the gateway's
                  new OkHttpClientRequest(chain.request(), new byte[0]));
          if (listen == null) {
            return chain.proceed(request); // a DELETE ending the session
          }
          // The listen stream, or one resumed with Last-Event-ID: the server may replay answers
          // on it, read above OkHttp's inflating as a POST's answer is.
          if (request.header("Accept-Encoding") != null) {
            request = request.newBuilder().removeHeader("Accept-Encoding").build();
          }
          Response response = chain.proceed(request);
          return observed(response, listen);
        }
      case AGENT_CARD:
        {
          Response response = chain.proceed(request);
          ResponseBody body = response.body();
          // Compressed when the application asked for an encoding itself (OkHttp then leaves the
          // answer as it came): the card passes so and is remembered inflated.
          InputStream observed =
              agents.observeCard(
                  target,
                  response.code(),
                  response.header("Content-Type"),
                  response.header("Content-Encoding"),
                  body.byteStream());
          // An ObservedSource: the application's timeout on it bounds the card's reads.
          return response
              .newBuilder()
              .body(
                  new GovernedBody(
                      new ObservedSource(observed, body.source().timeout()),
                      body.contentType(),
                      body.contentLength()))
              .build();
        }
      case RPC:
      default:
        // The gateway reads the answer above OkHttp's inflating, which an Accept-Encoding the
        // application set turns off: left out, OkHttp asks for gzip and inflates, and the
        // application gets the answer inflated, without Content-Encoding.
        if (request.header("Accept-Encoding") != null) {
          request = request.newBuilder().removeHeader("Accept-Encoding").build();
        }
        return rpc(chain, agents, target, chain.request(), request);
    }
  }

  private static Response rpc(
      Interceptor.Chain chain,
      AgentGovernance agents,
      AgentGovernance.Target target,
      Request original,
      Request request)
      throws IOException {
    RequestBody body = request.body();
    byte[] bytes = OkHttpClientRequest.bodyOf(body);
    // The Content-Type sent is the body's when it has one (its charset is how the server reads it).
    MediaType type = body == null ? null : body.contentType();
    Request seen =
        type == null
            ? original
            : original.newBuilder().header("Content-Type", type.toString()).build();
    AgentCall call = agents.begin(target, new OkHttpClientRequest(seen, bytes));
    AgentCall.Admission admission;
    try {
      admission = call.admit();
    } catch (UncheckedIOException e) {
      throw e.getCause(); // the call ended failed, with its events: the application gets an
      // IOException
    }
    byte[] local = admission.localAnswer();
    byte[] replaced = admission.body();
    if (local != null) {
      if (replaced != null && body != null) {
        // The messages of the POST the server answers with nothing (the client's answers to its
        // requests, notifications) go on their own: the server waits for them.
        sendAlone(chain, call, request, RequestBody.create(replaced, body.contentType()));
      }
      long now = System.currentTimeMillis();
      return new Response.Builder()
          .request(request)
          .protocol(Protocol.HTTP_1_1)
          .code(200)
          .message("OK")
          .sentRequestAtMillis(now)
          .receivedResponseAtMillis(now)
          .header("Content-Type", JSON.toString())
          .body(ResponseBody.create(local, JSON))
          .build();
    }
    if (replaced != null) { // a client's answer a check blocked, replaced by an error
      bytes = replaced;
    }
    Request sent =
        body == null
            ? request
            : request
                .newBuilder()
                .method(request.method(), RequestBody.create(bytes, body.contentType()))
                .build();
    Response response;
    try {
      response = chain.proceed(sent);
    } catch (IOException | RuntimeException | Error e) {
      // Whatever failed below the gateway (an application's network interceptor may throw an
      // Error), the call ends with its events and frees its in-flight slots; the failure goes on.
      call.failed(e instanceof IOException io ? io : new IOException(e));
      throw e;
    }
    return observed(response, call);
  }

  /**
   * Sends what a POST answered locally carries that the server answers with nothing, and reports
   * the server's status; its answer (a bare 202) is not the application's. A failure reaches the
   * application, as for any send.
   */
  private static void sendAlone(
      Interceptor.Chain chain, AgentCall call, Request request, RequestBody alone)
      throws IOException {
    try (Response response = chain.proceed(request.newBuilder().method("POST", alone).build())) {
      call.sentAlone(response.code());
    } catch (IOException | RuntimeException | Error e) {
      call.failed(e instanceof IOException io ? io : new IOException(e));
      throw e;
    }
  }

  /** The response with its body as {@code call} reads it (the same response when not read). */
  private static Response observed(Response response, AgentCall call) throws IOException {
    ResponseBody answer = response.body();
    InputStream raw = answer.byteStream();
    InputStream observed =
        call.answered(
            response.code(),
            response.header("Content-Type"),
            response.header("Content-Encoding"), // one OkHttp did not inflate: not read
            response.header("Mcp-Session-Id"),
            raw);
    if (observed == raw) {
      return response;
    }
    // An ObservedSource, as an LLM call's body: an answer the application drops unread and
    // unclosed is closed when collected, so its requests still end and free their in-flight slots.
    return response
        .newBuilder()
        .removeHeader("Content-Length") // a filtered or checked answer may change its length
        .body(
            new GovernedBody(
                new ObservedSource(observed, answer.source().timeout()), answer.contentType(), -1))
        .build();
  }

  private static Request withoutGatewayHeaders(Request request, AgentGovernance agents) {
    boolean present = false;
    for (String header : agents.gatewayHeaders()) {
      present |= request.header(header) != null;
    }
    if (!present) {
      return request;
    }
    Request.Builder builder = request.newBuilder();
    for (String header : agents.gatewayHeaders()) {
      builder.removeHeader(header);
    }
    return builder.build();
  }
}
