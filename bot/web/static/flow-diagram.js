// Flow diagrams: Mermaid text (written by bot/core/diagram.py) drawn by the vendored mermaid.
// Every element with data-mermaid is drawn on load; the simulator calls flowDiagram.draw.
(function () {
  "use strict";
  mermaid.initialize({
    startOnLoad: false,
    // Mermaid's own layered layout: orthogonal arrows that go around the boxes; dagre drew
    // the 28-state flow 4000px wide with group frames over boxes outside the group.
    layout: "layered",
    securityLevel: "strict",
    theme: "base",
    fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    fontSize: 14,
    // SVG text, not HTML inside foreignObject: measurable, and no HTML from labels.
    htmlLabels: false,
    // Natural size: the box scrolls sideways instead of shrinking the text.
    flowchart: { htmlLabels: false, useMaxWidth: false, curve: "basis", padding: 10, nodeSpacing: 30, rankSpacing: 45, wrappingWidth: 400 },
    themeVariables: { lineColor: "#555", edgeLabelBackground: "#ffffff", fontSize: "14px" }
  });

  var count = 0, queue = Promise.resolve();

  // The state's id on hover: Mermaid names a node "<diagram>-flowchart-<node>-<n>", and
  // a state's node is "s_" + the state's id (bot/core/diagram.py).
  function addTitles(svg) {
    svg.querySelectorAll("g.node").forEach(function (node) {
      var match = /-flowchart-(.+)-\d+$/.exec(node.id), id = match ? match[1] : "";
      if (id.indexOf("s_") !== 0) { return; }
      var title = document.createElementNS("http://www.w3.org/2000/svg", "title");
      title.textContent = "estado: " + id.slice(2);
      node.insertBefore(title, node.firstChild);
      node.setAttribute("data-state", id.slice(2));
    });
  }

  // Brings the highlighted state to the middle of the diagram's box (the box scrolls,
  // never the page: the patient's chat stays where it is).
  function centre(element) {
    var node = element.querySelector("g.node.atual");
    if (!node) { return; }
    var box = element.getBoundingClientRect(), at = node.getBoundingClientRect();
    element.scrollLeft += at.left - box.left - (element.clientWidth - at.width) / 2;
    element.scrollTop += at.top - box.top - (element.clientHeight - at.height) / 2;
  }

  // Draws one diagram; calls are queued (mermaid renders one at a time) and a text
  // already drawn in that element is not drawn again.
  function draw(element, text) {
    if (element.dataset.drawn === text) { return queue; }
    queue = queue.then(function () {
      count += 1;
      return mermaid.render("flow-diagram-" + count, text);
    }).then(function (result) {
      element.innerHTML = result.svg;
      var svg = element.querySelector("svg");
      if (svg) { addTitles(svg); }
      element.dataset.drawn = text;
      centre(element);
    }).catch(function (error) {
      element.textContent = "Não foi possível desenhar o fluxo: " + (error && error.message);
    });
    return queue;
  }

  window.flowDiagram = { draw: draw };
  document.querySelectorAll("[data-mermaid]").forEach(function (element) {
    draw(element, element.getAttribute("data-mermaid"));
  });
})();
