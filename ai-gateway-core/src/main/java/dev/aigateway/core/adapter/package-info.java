/**
 * What a client adapter uses to govern its client's calls (the OkHttp module is one): it hands each
 * matched request to {@link dev.aigateway.core.AiGateway#begin} as a {@link
 * dev.aigateway.core.wire.ClientRequest} and drives the returned {@link
 * dev.aigateway.core.adapter.GovernedCall} through its protocol (admit, attempts, response or
 * failure); what the call answers with along the way (an admission, a rejection, an attempt's plan)
 * is the pipeline's ({@code core.pipeline}). Not for applications; the protocol may change in any
 * 0.x release.
 */
package dev.aigateway.core.adapter;
