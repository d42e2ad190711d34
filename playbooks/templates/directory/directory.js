/* Live search that ignores diacritics, combined with the agency filter (no libraries). */
(function () {
  "use strict";
  var form = document.getElementById("bo-loc");
  var table = document.getElementById("danh-ba");
  if (!form || !table) { return; }
  var input = document.getElementById("tim-kiem");
  var select = document.getElementById("co-quan");
  var status = document.getElementById("ket-qua");
  var empty = document.getElementById("khong-thay");

  /* "Nguyễn Hoàng Phúc" and "nguyen hoang phuc" fold to the same text. */
  function fold(text) {
    return text.normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/[\u0111\u0110]/g, "d")
      .toLowerCase()
      .replace(/\s+/g, " ")
      .trim();
  }

  var groups = Array.prototype.map.call(table.tBodies, function (body) {
    var agencyName = body.rows[0].textContent;
    var entries = Array.prototype.filter.call(body.rows, function (row) {
      return row.classList.contains("entry");
    }).map(function (row) {
      return { row: row, text: fold(row.textContent + " " + agencyName) };
    });
    return { body: body, agency: body.getAttribute("data-agency"), entries: entries };
  });
  var total = groups.reduce(function (sum, group) { return sum + group.entries.length; }, 0);

  function matches(text, words) {
    return words.every(function (word) { return text.indexOf(word) !== -1; });
  }

  /* Figures as Vietnamese read them: 10.000 (the pages' own glossary.number). */
  function number(value) {
    return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  }

  function announce(shown, filtered) {
    empty.hidden = shown !== 0;
    if (!filtered) {
      status.textContent = "Có " + number(total) + " hộp thư trong danh bạ.";
    } else if (shown === 0) {
      status.textContent = "Không tìm thấy hộp thư nào phù hợp.";
    } else {
      status.textContent = "Tìm thấy " + number(shown) + " trong số " + number(total) +
        " hộp thư.";
    }
  }

  function apply() {
    var query = fold(input.value);
    var words = query ? query.split(" ") : [];
    var agency = select.value;
    var shown = 0;
    groups.forEach(function (group) {
      var inAgency = !agency || group.agency === agency;
      var visible = 0;
      group.entries.forEach(function (entry) {
        var show = inAgency && matches(entry.text, words);
        entry.row.hidden = !show;
        if (show) { visible += 1; }
      });
      group.body.hidden = visible === 0;
      shown += visible;
    });
    announce(shown, words.length > 0 || agency !== "");
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); apply(); });
  input.addEventListener("input", apply);
  select.addEventListener("change", apply);
  form.hidden = false;
  apply(); /* the browser may have restored the fields (back button) */
}());
