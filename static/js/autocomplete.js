/* Names to choose from while typing in a filter box marked data-autocomplete="/api/…/":
   a <datalist> filled from the JSON API's ?q= search. Without this script the box is a plain
   text search, which the server understands just the same. */
(function () {
  "use strict";
  var WAIT_MS = 250; // one request per pause in typing, not per key: the API is rate-limited
  var LIMIT = 10;

  function attach(input, index) {
    var list = document.createElement("datalist");
    list.id = "autocomplete-" + index;
    input.parentNode.appendChild(list);
    input.setAttribute("list", list.id);
    var timer = null;
    var asked = "";

    function fill(records) {
      list.replaceChildren();
      records.forEach(function (record) {
        var option = document.createElement("option");
        option.value = record.name;
        list.appendChild(option);
      });
    }

    function ask() {
      var text = input.value.trim();
      if (text.length < 2 || text === asked) return;
      asked = text;
      var url = input.dataset.autocomplete + "?page_size=" + LIMIT + "&q=" + encodeURIComponent(text);
      fetch(url, { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) { if (input.value.trim() === text) fill(data.results || []); })
        .catch(function () { /* no suggestions; the box still searches */ });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, WAIT_MS);
    });
  }

  document.querySelectorAll("input[data-autocomplete]").forEach(attach);
})();
