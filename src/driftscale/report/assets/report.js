// driftscale report: the scale slider and the hover values of the SVG charts. No network, no library.
"use strict";

(function scaleSlider() {
  const slider = document.getElementById("scale-slider");
  const source = document.getElementById("scales-data");
  if (!slider || !source) return;
  const frames = JSON.parse(source.textContent);
  const diffusion = document.getElementById("frame-diffusion");
  const osmosis = document.getElementById("frame-osmosis");
  const position = document.getElementById("scale-position");
  const play = document.getElementById("scale-play");
  let timer = null;

  function show(k) {
    const frame = frames[k];
    diffusion.src = frame.diffusion;
    osmosis.src = frame.osmosis;
    diffusion.alt = "probabilistic diffusion, " + frame.cells["d-scale"];
    osmosis.alt = "osmosis, " + frame.cells["o-scale"];
    for (const [key, text] of Object.entries(frame.cells)) {
      for (const el of document.querySelectorAll('[data-cell="' + key + '"]')) el.textContent = text;
    }
    position.textContent = (k + 1) + " / " + frames.length;
    slider.setAttribute("aria-valuetext", frame.cells["d-scale"] + "; " + frame.cells["o-scale"]);
  }

  function stop() {
    clearInterval(timer);
    timer = null;
    play.textContent = "▶";
  }

  slider.addEventListener("input", () => show(Number(slider.value)));
  play.addEventListener("click", () => {
    if (timer !== null) return stop();
    play.textContent = "❚❚";
    if (Number(slider.value) === frames.length - 1) slider.value = 0;
    timer = setInterval(() => {
      const next = Number(slider.value) + 1;
      if (next >= frames.length) return stop();
      slider.value = next;
      show(next);
    }, 150);
  });
  // fetch every frame once, so that scrubbing shows them without waiting
  window.addEventListener("load", () => {
    for (const frame of frames) {
      new Image().src = frame.diffusion;
      new Image().src = frame.osmosis;
    }
  });
})();

(function chartHover() {
  const tooltip = document.getElementById("tooltip");
  for (const figure of document.querySelectorAll("figure.chart")) {
    const svg = figure.querySelector("svg");
    const guide = svg.querySelector("line.guide");
    const data = JSON.parse(figure.querySelector("script.hover-data").textContent);
    if (!data.px || data.px.length === 0) continue;

    svg.addEventListener("mousemove", (event) => {
      const box = svg.getBoundingClientRect();
      const x = (event.clientX - box.left) * (svg.viewBox.baseVal.width / box.width);
      let best = 0;
      for (let j = 1; j < data.px.length; j++) {
        if (Math.abs(data.px[j] - x) < Math.abs(data.px[best] - x)) best = j;
      }
      guide.setAttribute("x1", data.px[best]);
      guide.setAttribute("x2", data.px[best]);
      guide.setAttribute("visibility", "visible");
      tooltip.replaceChildren(...data.text[best].map((line) => {
        const div = document.createElement("div");
        div.textContent = line;
        return div;
      }));
      tooltip.hidden = false;
      tooltip.style.left = (event.clientX + 14) + "px";
      tooltip.style.top = (event.clientY + 14) + "px";
      tooltip.dataset.chart = figure.id;
    });
    svg.addEventListener("mouseleave", () => {
      guide.setAttribute("visibility", "hidden");
      tooltip.hidden = true;
    });
  }
})();
