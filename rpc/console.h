// The web console's files (console/: explorer, gate page, issuer console) and the OpenAPI
// document, served by the node's HTTP server when `[rpc] console_dir` names the folder that
// holds them (off by default; docs/console.md). The files are static: every page talks to the
// same node through the JSON API of docs/api.md, and an issuer's key never leaves the browser.
//
// Routes (added only when enabled, beside BuildRouter's API routes):
//   GET /, /console, /console/   302 to /console/index.html
//   GET /console/{file}          a file of the folder (flat: no sub-folders)
//   GET /openapi.yaml            the folder's openapi.yaml (docs/openapi.yaml, installed beside)
// A file name is [A-Za-z0-9_.-]+ not starting with '.', so no request reaches outside the
// folder; anything else, or a missing file, is 404 NOT_FOUND. Files are read on each request
// (a few small files; an edit shows on reload) and sent with a Content-Type from the extension,
// `X-Content-Type-Options: nosniff` and a Content-Security-Policy that allows only this origin's
// scripts and connections (the camera image stays in the page).
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "rpc/router.h"

namespace laurel::rpc {

// Whether `name` may be served from the console folder.
bool IsConsoleFileName(std::string_view name);

// The Content-Type for a file name, by extension ("application/octet-stream" when unknown).
std::string ConsoleContentType(std::string_view name);

// Adds the console routes above, serving from `dir`. kInvalidArgument when `dir` is not a
// readable folder holding index.html (the node then refuses to start: a typo in the config
// is reported, not served as 404s).
Status AddConsoleRoutes(Router& r, const std::string& dir);

}  // namespace laurel::rpc
