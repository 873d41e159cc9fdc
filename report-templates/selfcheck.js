addEventListener("load", function () {
  var imgs = document.images, ok = 0;
  for (var i = 0; i < imgs.length; i++) {
    if (imgs[i].complete && imgs[i].naturalWidth > 0) ok++;
  }
  document.body.setAttribute("data-images-ok", ok + "/" + imgs.length);
  var svgs = document.querySelectorAll("figure.chart svg"), drawn = 0;
  for (var j = 0; j < svgs.length; j++) {
    var r = svgs[j].getBoundingClientRect();
    if (svgs[j].closest("[hidden]") || (r.width > 0 && r.height > 0)) drawn++;
  }
  document.body.setAttribute("data-charts", drawn + "/" + svgs.length);
});
