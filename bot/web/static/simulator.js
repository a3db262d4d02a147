// The simulator page: choose an appointment, send its reminder, play the patient.
// Bot answers arrive as server-sent events (/simulator/api/events).
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var chat = $("chat"), select = $("appointment"), errorBox = $("sim-error");
  var appointments = [], source = null, seen = {};

  function fail(message) { errorBox.textContent = message; errorBox.hidden = !message; }

  function api(path, body) {
    fail("");
    return fetch(path, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) { throw new Error((data.error && data.error.message) || ("erro " + r.status)); }
        return data;
      });
    }).catch(function (e) { fail(translate(e.message)); throw e; });
  }

  var MESSAGES = {
    "this reminder was sent already": "Este lembrete já foi enviado. Toque em Reiniciar para começar de novo.",
    "write something or tap a button": "Escreva uma mensagem ou toque num botão.",
    "not a valid": "Número de celular inválido.",
    "not a phone number": "Número de celular inválido."
  };
  function translate(message) {
    for (var key in MESSAGES) { if (message.indexOf(key) === 0) { return MESSAGES[key]; } }
    return message;
  }

  function current() { return appointments.find(function (a) { return a.id === select.value; }); }

  function loadAppointments(selectId) {
    return fetch("/simulator/api/appointments").then(function (r) { return r.json(); }).then(function (data) {
      appointments = data.appointments;
      var keep = selectId || select.value;
      select.innerHTML = "";
      appointments.forEach(function (a) {
        var option = document.createElement("option");
        option.value = a.id;
        option.textContent = a.patient + " · " + a.when + " · " + a.doctor;
        select.appendChild(option);
      });
      if (keep && appointments.some(function (a) { return a.id === keep; })) { select.value = keep; }
      showAppointment();
    });
  }

  function showAppointment() {
    var a = current();
    $("appointment-info").textContent = a ? (a.phone + " · unidade " + a.unit + " · " + a.status) : "Nenhuma consulta: crie uma.";
    $("phone-number").textContent = a ? a.phone : "";
    listen(a ? a.phone : null);
  }

  function listen(phone) {
    if (source) { source.close(); source = null; }
    chat.innerHTML = ""; seen = {};
    if (!phone) { return; }
    source = new EventSource("/simulator/api/events?phone=" + encodeURIComponent(phone));
    source.addEventListener("line", function (e) { addLine(JSON.parse(e.data)); });
    source.addEventListener("state", function (e) { showState(JSON.parse(e.data)); });
  }

  function addLine(line) {
    if (seen[line.id]) { return; }
    seen[line.id] = true;
    var bubble = document.createElement("div");
    bubble.className = "bubble " + line.side;
    bubble.dataset.side = line.side;
    if (line.side !== "patient") {
      var who = document.createElement("span");
      who.className = "who";
      who.textContent = line.side === "staff" ? "Equipe da clínica" : (line.template ? "Clínica · modelo aprovado" : "Clínica");
      bubble.appendChild(who);
    }
    var p = document.createElement("p");
    p.textContent = line.text;
    bubble.appendChild(p);
    if (line.buttons && line.buttons.length) {
      var quick = document.createElement("div");
      quick.className = "quick";
      line.buttons.forEach(function (b) {
        var button = document.createElement("button");
        button.type = "button"; button.textContent = b[1]; button.dataset.buttonId = b[0];
        button.addEventListener("click", function () { sendReply(b[1], b[0]); });
        quick.appendChild(button);
      });
      bubble.appendChild(quick);
    }
    var time = document.createElement("time");
    time.textContent = new Date(line.at).toLocaleTimeString("pt-BR", { hour: "2-digit", minute: "2-digit" });
    bubble.appendChild(time);
    chat.appendChild(bubble);
    chat.scrollTop = chat.scrollHeight;
  }

  function showState(view) {
    $("state-name").textContent = view.state || "—";
    $("state-name").className = "pill " + ({ active: "waiting", handed_off: "handoff", done: "confirmed" }[view.status] || "noanswer");
    $("status-text").textContent = view.status_text;
    window.flowDiagram.draw($("diagram"), view.diagram);
    loadAppointmentsQuietly();
  }

  var refreshing = false;
  function loadAppointmentsQuietly() {
    if (refreshing) { return; }
    refreshing = true;
    fetch("/simulator/api/appointments").then(function (r) { return r.json(); }).then(function (data) {
      appointments = data.appointments;
      var a = current();
      if (a) { $("appointment-info").textContent = a.phone + " · unidade " + a.unit + " · " + a.status; }
    }).finally(function () { refreshing = false; });
  }

  function sendReply(text, buttonId) {
    var a = current();
    if (!a) { fail("Escolha uma consulta."); return; }
    var body = { phone: a.phone, text: text };
    if (buttonId) { body.button_id = buttonId; }
    return api("/simulator/api/send", body);
  }

  select.addEventListener("change", showAppointment);
  $("remind").addEventListener("click", function () {
    var a = current();
    if (!a) { fail("Escolha uma consulta."); return; }
    api("/simulator/api/remind", { appointment_id: a.id }).catch(function () {});
  });
  $("reset").addEventListener("click", function () {
    var a = current();
    if (!a) { return; }
    api("/simulator/api/reset", { phone: a.phone }).then(function () { return loadAppointments(a.id); }).catch(function () {});
  });
  $("reply-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var input = $("reply"), text = input.value.trim();
    if (!text) { return; }
    var sent = sendReply(text);
    if (sent) { sent.then(function () { input.value = ""; }).catch(function () {}); }
  });
  $("create-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var form = new FormData(e.target), body = {};
    form.forEach(function (value, key) { body[key] = value; });
    api("/simulator/api/appointments", body).then(function (data) {
      $("new-appointment").open = false;
      return loadAppointments(data.appointment.id);
    }).catch(function () {});
  });
  var tomorrow = new Date(Date.now() + 86400000);
  document.querySelector("#create-form [name=date]").value = tomorrow.toISOString().slice(0, 10);
  loadAppointments();
})();
